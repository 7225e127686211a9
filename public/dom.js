// Small DOM helpers for the live board: elements built with text only, feedback lines, times.

/** createElement with properties: text only ever goes in through textContent. */
export function el (tag, props = {}, children = []) {
  const node = document.createElement(tag)
  const { dataset, ...rest } = props
  Object.assign(node, rest)
  if (dataset !== undefined) Object.assign(node.dataset, dataset)
  node.append(...children)
  return node
}

/** Shows `text` in a feedback line; `kind` (ok, info, warn, error) picks its colour. */
export function showFeedback (node, text, kind) {
  node.textContent = text
  node.dataset.kind = kind
}

export function formatTime (date) {
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
}
