// Building DOM nodes without innerHTML: every value from the server goes in as text.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name === 'class') {
      node.className = value;
    } else if (name === 'dataset') {
      Object.assign(node.dataset, value);
    } else if (name.startsWith('on')) {
      node.addEventListener(name.slice(2), value);
    } else {
      node.setAttribute(name, value === true ? '' : value);
    }
  }
  return fill(node, ...children);
}

/** Replaces the node's children; null, undefined and false stand for nothing (replaceChildren would print them). */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter(c => c !== null && c !== undefined && c !== false));
  return node;
}

/** A table cell that narrow layouts label with its column's name. */
export function cell(label, ...children) {
  return el('td', { dataset: { label } }, ...children);
}

export function button(text, attrs = {}) {
  return el('button', { type: 'button', ...attrs }, text);
}

/** Puts {@code rows} in {@code tbody} in this order, moving only the rows out of place (a moved node loses focus). */
export function placeRows(tbody, rows) {
  rows.forEach((tr, i) => {
    if (tbody.children[i] !== tr) {
      tbody.insertBefore(tr, tbody.children[i] || null);
    }
  });
  while (tbody.children.length > rows.length) {
    tbody.lastElementChild.remove();
  }
}
