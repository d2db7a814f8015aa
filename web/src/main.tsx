// The Stratus console: a single page served by stratusd at /console/. Pages live under
// /console/<page>; the token is asked for once per browser tab.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, clearToken, get, getToken, onAuthLost, setToken } from "./api";
import { Overview } from "./pages/overview";
import { Instances } from "./pages/instances";
import { Images } from "./pages/images";
import { LoadBalancers } from "./pages/load_balancers";
import { Groups } from "./pages/groups";
import { Alarms } from "./pages/alarms";
import { Metrics } from "./pages/metrics";
import { Cost } from "./pages/cost";
import "./style.css";

const PAGES: [string, string, () => preact.JSX.Element][] = [
  ["", "Overview", Overview],
  ["instances", "Instances", Instances],
  ["images", "Images", Images],
  ["load-balancers", "Load balancers", LoadBalancers],
  ["groups", "Auto scaling", Groups],
  ["alarms", "Alarms", Alarms],
  ["metrics", "Metrics", Metrics],
  ["cost", "Cost", Cost],
];

function currentPage(): string {
  return location.pathname.replace(/^\/console\/?/, "").split("/")[0];
}

function navigate(page: string) {
  history.pushState(null, "", `/console/${page}`);
  dispatchEvent(new PopStateEvent("popstate"));
}

function Login({ onDone, reason }: { onDone: () => void; reason: string }) {
  const [token, setTokenText] = useState("");
  const [error, setError] = useState(reason);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setToken(token.trim());
    try {
      await get("/v1/instance-types");
      onDone();
    } catch (err) {
      clearToken();
      setError(err instanceof ApiError ? err.text : String(err));
    }
    setBusy(false);
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>Stratus</h1>
      <label>
        API token
        <input
          name="token"
          type="password"
          autoComplete="off"
          value={token}
          onInput={(e) => setTokenText((e.target as HTMLInputElement).value)}
          placeholder="contents of STATE_DIR/api-token"
        />
      </label>
      <button type="submit" disabled={busy || !token.trim()}>
        Log in
      </button>
      {error && <p class="error">{error}</p>}
    </form>
  );
}

function App() {
  const [authed, setAuthed] = useState(getToken() !== "");
  const [reason, setReason] = useState("");
  const [page, setPage] = useState(currentPage());
  const [menu, setMenu] = useState(false);
  useEffect(() => {
    const pop = () => setPage(currentPage());
    addEventListener("popstate", pop);
    onAuthLost(() => {
      clearToken();
      setReason("The token was refused: log in again.");
      setAuthed(false);
    });
    return () => removeEventListener("popstate", pop);
  }, []);
  if (!authed) return <Login reason={reason} onDone={() => setAuthed(true)} />;
  const entry = PAGES.find(([p]) => p === page) ?? PAGES[0];
  const Page = entry[2];
  return (
    <div class="shell">
      <header>
        <button class="menu-toggle" aria-label="menu" onClick={() => setMenu(!menu)}>
          ☰
        </button>
        <span class="brand">Stratus</span>
        <nav class={menu ? "open" : ""}>
          {PAGES.map(([p, label]) => (
            <a
              href={`/console/${p}`}
              class={p === entry[0] ? "active" : ""}
              onClick={(e) => {
                e.preventDefault();
                setMenu(false);
                navigate(p);
              }}
            >
              {label}
            </a>
          ))}
        </nav>
        <button
          class="logout"
          onClick={() => {
            clearToken();
            setReason("");
            setAuthed(false);
          }}
        >
          Log out
        </button>
      </header>
      <main data-page={entry[0] || "overview"}>
        <h1>{entry[1]}</h1>
        <Page />
      </main>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
