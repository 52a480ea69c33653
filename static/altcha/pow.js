// Proof-of-work before a hold (ALTCHA), in the background and without any widget to operate:
// fetch a challenge from the app, solve it in Web Workers, and put the solution into every
// hold form's hidden "altcha" field. No cookies, no third party. Without JavaScript (or before
// the work is done) the fields stay empty and the server applies a stricter rate limit instead.
import { solveChallengeWorkers } from "./altcha-lib.min.js";

const source = document.querySelector("[data-altcha-challenge]");
const workerUrl = new URL("./pbkdf2-worker.js", import.meta.url);

function fill(value) {
  for (const field of document.querySelectorAll('form input[type="hidden"][name="altcha"]')) {
    field.value = value;
  }
}

async function solve() {
  const response = await fetch(source.dataset.altchaChallenge, { cache: "no-store" });
  if (!response.ok) return;
  const challenge = await response.json();
  const solution = await solveChallengeWorkers({
    challenge,
    concurrency: Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4)),
    createWorker: () => new Worker(workerUrl),
  });
  if (!solution) return;
  fill(btoa(JSON.stringify({ challenge, solution })));
  // A solution is valid until the challenge expires: fetch a fresh one shortly before.
  const expiresAt = challenge.parameters.expiresAt;
  if (expiresAt) {
    const wait = expiresAt * 1000 - Date.now() - 60000;
    setTimeout(() => { fill(""); solve().catch(() => {}); }, Math.max(wait, 30000));
  }
}

if (source && document.querySelector('form input[type="hidden"][name="altcha"]')) {
  solve().catch(() => {});
}
