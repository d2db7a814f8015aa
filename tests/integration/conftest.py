"""pytest fixtures: a real stratusd per test, torn down (stratusd --uninstall) even when the test fails."""
import pytest

from stratus_harness import ApiError, Stratus, host_leftovers, http_get  # noqa: F401 (re-exported for tests)


def _daemon(request, **kwargs):
    s = Stratus(request.node.name[:20].replace("[", "").replace("]", ""), **kwargs)
    try:
        s.start()
        yield s
    finally:
        if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
            print(s.log())
        s.uninstall()


@pytest.fixture
def stratus(request):
    yield from _daemon(request)


@pytest.fixture
def small_vpc_stratus(request):
    """A daemon whose VPC is a /24: three /28 subnets of 13 addresses, so addresses come round again soon."""
    yield from _daemon(request, vpc_prefix=24)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)




def pytest_configure(config):
    config.addinivalue_line("markers", "slow: minutes long (the debian + nginx image build); `make test` runs it, `make test-slow` runs only it")
