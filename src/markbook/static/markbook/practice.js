// Practice (ASM-2): a timed question's countdown, from the milliseconds the server
// said were left (its own clock decides; this only shows it), and the answer's page
// area swapped in by htmx also when the server refuses an answer with a message.
(() => {
  let timer = null;

  function countdown() {
    if (timer) window.clearInterval(timer);
    timer = null;
    const clock = document.querySelector(".practice-countdown[data-ms-left]");
    if (!clock) return;
    const shown = clock.querySelector("[data-countdown]");
    const ends = Date.now() + Number(clock.dataset.msLeft);
    const grace = Number(clock.dataset.toleranceMs || 1200);
    const tick = () => {
      const left = Math.max(0, ends - Date.now());
      shown.textContent = String(Math.ceil(left / 1000));
      clock.classList.toggle("practice-countdown-low", left < 2000);
      if (left > 0) return;
      window.clearInterval(timer);
      timer = null;
      clock.textContent = "Time is up.";
      // After the server's grace for the network, ask it for the next question.
      const area = document.getElementById("practice-area");
      window.setTimeout(() => {
        if (area && area.isConnected && window.htmx) {
          window.htmx.ajax("GET", area.dataset.stateUrl, { target: "#practice-area", swap: "outerHTML" });
        }
      }, grace);
    };
    tick();
    timer = window.setInterval(tick, 200);
  }

  function focusAnswer() {
    const field = document.querySelector("#practice-area [autofocus]");
    if (field) field.focus();
  }

  document.addEventListener("DOMContentLoaded", () => {
    countdown();
    focusAnswer();
  });
  // Refusals (a question already answered, a late answer, not a number, too many
  // answers) carry the message and the current question: show them.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const status = event.detail.xhr.status;
    if (event.detail.target.id === "practice-area" && [403, 409, 422, 429].includes(status)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (!document.getElementById("practice-area")) return;
    countdown();
    focusAnswer();
  });
})();
