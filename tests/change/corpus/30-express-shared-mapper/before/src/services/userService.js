const db = require("../db");

function toPublic(row) {
  return { id: row.id, name: row.name, email: row.email };
}

async function listUsers({ limit }) {
  const rows = await db.query("SELECT id, name, email FROM users ORDER BY id LIMIT $1", [limit]);
  return rows.map(toPublic);
}

async function getUser(id) {
  const rows = await db.query("SELECT id, name, email FROM users WHERE id = $1", [id]);
  return rows.length ? toPublic(rows[0]) : null;
}

async function createUser({ name, email }) {
  const rows = await db.query("INSERT INTO users (name, email) VALUES ($1, $2) RETURNING *", [name, email]);
  return toPublic(rows[0]);
}

module.exports = { listUsers, getUser, createUser };
