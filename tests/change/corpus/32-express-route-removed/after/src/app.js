const express = require("express");
const usersRouter = require("./routes/users");
const { requestId } = require("./middleware/requestId");

const app = express();
app.use(express.json());
app.use(requestId);

app.get("/healthz", (req, res) => {
  res.json({ ok: true });
});

app.use("/api/users", usersRouter);

module.exports = app;
