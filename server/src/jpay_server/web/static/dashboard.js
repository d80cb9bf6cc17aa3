// The dashboard's only script (pages work without it): copy buttons, countdowns, focus.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = "Copied";
    });
  }
  for (const clock of document.querySelectorAll("[data-until]")) {
    const end = Date.parse(clock.dataset.until);
    const tick = () => {
      const left = Math.max(0, Math.round((end - Date.now()) / 1000));
      clock.textContent = left > 0 ? `stops working in ${left} s` : "no longer works";
      if (left > 0) setTimeout(tick, 1000);
    };
    tick();
  }
});
