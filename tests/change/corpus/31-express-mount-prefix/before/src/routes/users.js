const express = require("express");
const userService = require("../services/userService");

const router = express.Router();

router.get("/", async (req, res) => {
  const users = await userService.listUsers({ limit: Number(req.query.limit) || 20 });
  res.json(users);
});

router.get("/:id", async (req, res, next) => {
  try {
    const user = await userService.getUser(req.params.id);
    if (!user) return res.status(404).json({ error: "not found" });
    res.json(user);
  } catch (err) {
    next(err);
  }
});

router.post("/", async (req, res) => {
  const user = await userService.createUser(req.body);
  res.status(201).json(user);
});

module.exports = router;
