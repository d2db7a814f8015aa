// stratus doctor: checks this host for what Stratus needs (cli/doctor.h); runs without stratusd.
#include <memory>

#include "cli/commands.h"
#include "cli/doctor.h"
#include "daemon/config_file.h"

namespace stratus::cli {

void RegisterDoctorCommand(CLI::App& root, CliContext& ctx) {
  struct Args {
    DoctorOptions options;
    std::string config = kDefaultConfigFile;
  };
  auto a = std::make_shared<Args>();
  CLI::App* doctor = root.add_subcommand(
      "doctor", "Check this host for what Stratus needs (kernel, runc, CNI, nftables, ports, ranges) and say what to fix");
  doctor->add_option("--config", a->config, "stratusd's config file, for its listen, vpc-cidr, state-dir, name, runtime")
      ->capture_default_str();
  doctor->add_option("--listen", a->options.listen, "the API address to check (default: the config's, else 127.0.0.1:7600)");
  doctor->add_option("--vpc-cidr", a->options.vpc_cidr, "the VPC range to check against host routes");
  doctor->add_option("--state-dir", a->options.state_dir, "the state dir (its filesystem is checked for reflinks)");
  doctor->add_option("--runtime", a->options.runtime, "the OCI runtime stratusd uses: runc or runsc");
  OnSelected(doctor, ctx, [&ctx, a, doctor] {
    // The config file first, then the flags given here over it.
    DoctorOptions options;
    ReadDaemonConfig(a->config, options);
    for (const char* flag : {"--listen", "--vpc-cidr", "--state-dir", "--runtime"}) {
      if (doctor->get_option(flag)->count() == 0) continue;
      std::string f = flag;
      if (f == "--listen") options.listen = a->options.listen;
      if (f == "--vpc-cidr") options.vpc_cidr = a->options.vpc_cidr;
      if (f == "--state-dir") options.state_dir = a->options.state_dir;
      if (f == "--runtime") options.runtime = a->options.runtime;
    }
    int failed = 0;
    for (const DoctorCheck& c : RunDoctor(options)) {
      const char* mark = c.verdict == Verdict::kOk ? "ok  " : c.verdict == Verdict::kWarn ? "warn" : "FAIL";
      ctx.out() << mark << "  " << c.what << ": " << c.detail << "\n";
      if (!c.fix.empty()) ctx.out() << "      fix: " << c.fix << "\n";
      if (c.verdict == Verdict::kFail) failed++;
    }
    ctx.out() << (failed ? std::to_string(failed) + " problem(s) to fix\n" : "this host can run Stratus\n");
    return failed ? kExitFailure : kExitOk;
  });
}

}  // namespace stratus::cli
