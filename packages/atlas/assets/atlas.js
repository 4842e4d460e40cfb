// cnnpipe atlas: sorting and filtering of a layer's neuron cards. The choice is kept in
// the URL hash, so the back button returns to the same view.
(function () {
  'use strict';
  var grid = document.getElementById('cards');
  if (!grid) return;
  var cards = Array.prototype.slice.call(grid.children);
  var sort = document.getElementById('sort');
  var concept = document.getElementById('concept');
  var facet = document.getElementById('facet');
  var shown = document.getElementById('shown');
  // With dream's visualizations: which image the cards show (top patch or feature visualisation).
  var card = document.getElementById('card');

  function number(card, key) {
    var v = parseFloat(card.dataset[key]);
    return isNaN(v) ? -Infinity : v;
  }

  function compare(key) {
    if (key === 'neuron') return function (a, b) { return number(a, 'neuron') - number(b, 'neuron'); };
    if (key === 'concept') {
      return function (a, b) { return a.dataset.concept.localeCompare(b.dataset.concept) || number(a, 'neuron') - number(b, 'neuron'); };
    }
    // Statistics: highest first, ties by neuron number.
    return function (a, b) { return number(b, key) - number(a, key) || number(a, 'neuron') - number(b, 'neuron'); };
  }

  function apply() {
    var visible = 0;
    cards.slice().sort(compare(sort.value)).forEach(function (card) {
      card.hidden = (concept.value !== '' && card.dataset.concept !== concept.value) || (facet.value !== '' && card.dataset.facet !== facet.value);
      if (!card.hidden) visible++;
      grid.appendChild(card);
    });
    shown.textContent = visible + ' of ' + cards.length + ' neurons';
    var params = { sort: sort.value, concept: concept.value, facet: facet.value };
    if (card) {
      grid.classList.toggle('show-vis', card.value === 'vis');
      params.card = card.value;
    }
    var state = new URLSearchParams(params).toString();
    history.replaceState(null, '', '#' + state);
  }

  var saved = new URLSearchParams(location.hash.slice(1));
  [['sort', sort], ['concept', concept], ['facet', facet]].concat(card ? [['card', card]] : []).forEach(function (pair) {
    var value = saved.get(pair[0]);
    if (value !== null && Array.prototype.some.call(pair[1].options, function (o) { return o.value === value; })) pair[1].value = value;
    pair[1].addEventListener('change', apply);
  });
  apply();
})();
