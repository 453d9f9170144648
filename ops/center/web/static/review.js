// Keyboard shortcuts for the violation page: c confirm, r reject, n next,
// p edit the plate. Keys typed into a field are left alone.
document.addEventListener('keydown', function (e) {
  var t = e.target;
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) {
    if (e.key === 'Escape') t.blur();
    return;
  }
  var confirmForm = document.getElementById('confirm');
  var rejectForm = document.getElementById('reject');
  switch (e.key) {
  case 'c':
    if (confirmForm) { e.preventDefault(); confirmForm.requestSubmit(); }
    break;
  case 'r':
    if (rejectForm) {
      e.preventDefault();
      var reason = document.getElementById('reason');
      if (reason.value) rejectForm.requestSubmit(); else reason.focus();
    }
    break;
  case 'p':
    var plate = document.getElementById('plate');
    if (plate) { e.preventDefault(); plate.focus(); plate.select(); }
    break;
  case 'n':
    e.preventDefault();
    next();
    break;
  }
});

// next gives this item's claim back and opens the next pending one.
function next() {
  var main = document.querySelector('main');
  var id = main.dataset.event;
  var go = function () { location.href = '/next?skip=' + encodeURIComponent(id); };
  if (main.dataset.claimed !== 'true') { go(); return; }
  fetch('/violations/' + encodeURIComponent(id) + '/release', {
    method: 'POST', credentials: 'same-origin',
    headers: { 'X-CSRF-Token': document.querySelector('meta[name=csrf]').content }
  }).finally(go);
}

var nextLink = document.getElementById('next');
if (nextLink) nextLink.addEventListener('click', function (e) { e.preventDefault(); next(); });
