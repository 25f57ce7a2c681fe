const express = require("express");
const usersRouter = require("./routes/users");
const { requestId } = require("./middleware/requestId");

const app = express();
app.use(express.json());
app.use(requestId);

app.get("/healthz", (req, res) => {
  res.json({ ok: true });
});

app.get(
  "/readyz",
  async (req, res) => {
    res.json({ ready: true, uptime: process.uptime() });
  }
);

app.use("/api/users", usersRouter);

module.exports = app;
