const Koa = require("koa");
const Router = require("@koa/router");
const bodyParser = require("koa-bodyparser");
const { listBooks, findBook } = require("./books");

const app = new Koa();
const router = new Router({ prefix: "/api" });

router.get("/books", async (ctx) => {
  ctx.body = await listBooks(ctx.query.author);
});

router.get("/books/:isbn", async (ctx) => {
  const book = await findBook(ctx.params.isbn);
  ctx.assert(book, 404, "no such book");
  ctx.body = book;
});

app.use(bodyParser());
app.use(router.routes()).use(router.allowedMethods());
app.listen(8080);
