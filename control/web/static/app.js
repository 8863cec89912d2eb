"use strict";
// What the templates used to write inline (onclick, onsubmit, hx-on, js: values, javascript: links),
// kept in this file so that the Content-Security-Policy can refuse every inline script and eval.

// A form or submit button with data-confirm (the confirm macro of _macros.html) asks in a modal dialog
// before it is sent: the question states the consequence, 取消 has the focus, Esc cancels. Once
// confirmed, the same submit is sent again (same button, same formaction) and let through.
let approved = null;

function confirmDialog() {
  let dialog = document.getElementById("confirm-dialog");
  if (!dialog) {
    dialog = document.createElement("dialog");
    dialog.id = "confirm-dialog";
    dialog.className = "confirm";
    dialog.setAttribute("aria-labelledby", "confirm-question");
    dialog.innerHTML = '<form method="dialog"><p id="confirm-question"></p><div class="actions">' +
      '<button type="submit" value="cancel" class="secondary" id="confirm-cancel"></button>' +
      '<button type="submit" value="ok" class="danger" id="confirm-ok"></button></div></form>';
    document.body.append(dialog);
  }
  return dialog;
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  const button = event.submitter;
  const source = button && button.dataset.confirm ? button : form;
  if (!source.dataset || !source.dataset.confirm) return;
  if (approved === source) {
    approved = null;
    return;
  }
  event.preventDefault();
  const dialog = confirmDialog();
  dialog.querySelector("#confirm-question").textContent = source.dataset.confirm;
  dialog.querySelector("#confirm-ok").textContent = source.dataset.confirmOk || (button && button.textContent) || "确认";
  dialog.querySelector("#confirm-cancel").textContent = source.dataset.confirmCancel || "取消";
  dialog.returnValue = "";
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "ok") return;
    approved = source;
    form.requestSubmit(button || undefined);
  }, { once: true });
  dialog.showModal();
  dialog.querySelector("#confirm-cancel").focus();
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
