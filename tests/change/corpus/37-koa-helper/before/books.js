const books = new Map();

async function listBooks(author) {
  const all = [...books.values()];
  return author ? all.filter((b) => b.author === author) : all;
}

async function findBook(isbn) {
  return books.get(isbn) || null;
}

module.exports = { listBooks, findBook };
