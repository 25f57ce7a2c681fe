const crypto = require("crypto");

function requestId(req, res, next) {
  req.id = String(req.headers["x-request-id"] || crypto.randomUUID()).slice(0, 64);
  res.setHeader("x-request-id", req.id);
  next();
}

module.exports = { requestId };
