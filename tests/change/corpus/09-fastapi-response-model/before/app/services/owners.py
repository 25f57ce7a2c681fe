from app.db import get_connection
from app.schemas import Owner, OwnerCreate


def _to_owner(row: tuple) -> Owner:
    return Owner(id=row[0], first_name=row[1], last_name=row[2], city=row[3])


def search(last_name: str | None, limit: int) -> list[Owner]:
    sql = "SELECT id, first_name, last_name, city FROM owners"
    params: tuple = ()
    if last_name:
        sql += " WHERE last_name LIKE ?"
        params = (last_name + "%",)
    rows = get_connection().execute(sql + " LIMIT ?", (*params, limit)).fetchall()
    return [_to_owner(r) for r in rows]


def find(owner_id: int) -> Owner | None:
    sql = "SELECT id, first_name, last_name, city FROM owners WHERE id = ?"
    row = get_connection().execute(sql, (owner_id,)).fetchone()
    return _to_owner(row) if row else None


def create(body: OwnerCreate) -> Owner:
    conn = get_connection()
    cur = conn.execute(
        "INSERT INTO owners (first_name, last_name, city) VALUES (?, ?, ?)",
        (body.first_name, body.last_name, body.city),
    )
    conn.commit()
    return Owner(id=cur.lastrowid, **body.model_dump())
