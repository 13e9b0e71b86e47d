// Start-up and navigation: restore the session from the refresh cookie, show the page for
// the address, keep the menu in step with who is signed in.

import { countBadge } from "./counts.js";
import { MENU, ROUTES } from "./routes.js";
import * as session from "./session.js";
import { h, link, page } from "./ui.js";

let flash = null;
let afterSignIn = null;

/** Opens a page of the portal; `message` is shown on it once (e.g. "You were signed out"). */
function go(path, message = null, { replace = false } = {}) {
  flash = message;
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render();
}

function allowed(access) {
  const signedIn = session.current() !== null;
  switch (access) {
    case "anyone":
      return true;
    case "signed-out":
      return !signedIn;
    case "signed-in":
      return signedIn;
    case "family":
      return signedIn && !session.isStaff();
    case "record":
      // Whose record is the page's question (patient.js `recordPatient`); the server
      // checks every read anyway.
      return signedIn;
    case "office":
      return session.isStaff();
    case "admin":
      return session.isAdmin();
    default:
      return false;
  }
}

function render() {
  const url = new URL(location.href);
  const route = ROUTES.find((r) => r.path === url.pathname);
  const message = flash;
  flash = null;
  renderMenu(url.pathname);
  const signedIn = session.current() !== null;
  if (!route) return notFound(signedIn);
  if (!route.page) return go(signedIn ? "/welcome" : "/sign-in", message, { replace: true });
  if (!allowed(route.access)) {
    if (route.access === "signed-out") return go("/welcome", message, { replace: true });
    if (!signedIn) {
      afterSignIn = url.pathname;
      return go("/sign-in", "Please sign in to see that page.", { replace: true });
    }
    const why = route.access === "family"
      ? "That page is for families. To see a patient's record, use Find a patient."
      : "That page is for clinic office staff only.";
    return go("/welcome", why, { replace: true });
  }
  route.page.show({ query: url.searchParams, go, flash: message, signedIn: signedInTo });
}

/** Where a sign-in lands: the page that asked for it, else the welcome page. */
async function signedInTo(tokenAnswer, message = null) {
  await session.begin(tokenAnswer);
  const next = afterSignIn ?? "/welcome";
  afterSignIn = null;
  go(next, message);
}

function notFound(signedIn) {
  page(
    "Page not found",
    h("p", {}, "There is no page at this address. Check the address, or go on from here:"),
    h("p", {}, signedIn ? link("/welcome", "Welcome page") : link("/sign-in", "Sign in"), " · ", link("/help", "Help")),
  );
}

function renderMenu(path) {
  const items = MENU.filter((m) => allowed(m.when)).map((m) => {
    // An entry with a count (the office's open appointment requests and inbox, a family's
    // unread conversations) shows it beside its link, which it describes.
    const countId = m.count ? `menu-count-${m.count}` : undefined;
    return h("li", {},
      link(m.href, m.label, { "aria-current": m.href === path ? "page" : undefined, "aria-describedby": countId }),
      m.count ? [" ", countBadge(m.count, countId)] : null);
  });
  if (session.current()) {
    items.push(h("li", {}, h("button", { type: "button", onclick: signOut }, "Sign out")));
  }
  document.getElementById("menu").replaceChildren(h("ul", {}, items));
}

async function signOut() {
  await session.end();
  go("/sign-in", "You have signed out.");
}

// Same-origin links open pages without reloading (the session lives in memory).
document.addEventListener("click", (event) => {
  const a = event.target.closest?.("a[href]");
  if (!a || a.target || a.hasAttribute("download") || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(a.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/") || a.getAttribute("href").startsWith("#")) return;
  event.preventDefault();
  go(url.pathname + url.search);
});

window.addEventListener("popstate", () => render());

window.addEventListener("portal:session-ended", () => {
  if (!session.current()) return;
  session.lost();
  go("/sign-in", "Your session has ended. Please sign in again.");
});

window.addEventListener("portal:idle", async () => {
  const minutes = Math.round(session.IDLE_SECONDS / 60);
  await session.end();
  const after = minutes >= 1 ? `${minutes} minute${minutes === 1 ? "" : "s"}` : "a short time";
  go("/sign-in", `You were signed out automatically after ${after} without activity. Please sign in again.`);
});

await session.restore();
render();
