"use strict";
// What the templates used to write inline (onclick, onsubmit, hx-on, js: values, javascript: links),
// kept in this file so that the Content-Security-Policy can refuse every inline script and eval.

// A form or submit button with data-confirm asks before it is sent.
document.addEventListener("submit", (event) => {
  const question = (event.submitter && event.submitter.dataset.confirm) || event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

document.addEventListener("click", (event) => {
  const remove = event.target.closest(".remove-line");
  if (remove) remove.closest(".line").remove();
  const back = event.target.closest("a[data-back]");
  if (back && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});

// A new resource line on the cloud request form gets an index no other line on the page has.
document.addEventListener("htmx:configRequest", (event) => {
  if (event.detail.elt.id === "add-line") {
    event.detail.parameters.i = document.querySelectorAll("#lines .line").length + Date.now() % 100000;
  }
});
