from datetime import date

from fastapi import APIRouter

from app.db import get_connection

router = APIRouter(prefix="/visits", tags=["visits"])


def _row_to_visit(row: tuple) -> dict:
    return {"id": row[0], "pet_id": row[1], "date": row[2], "description": row[3]}


@router.get("/")
def list_visits(since: date | None = None) -> list[dict]:
    conn = get_connection()
    rows = conn.execute("SELECT id, pet_id, date, description FROM visits").fetchall()
    return [_row_to_visit(r) for r in rows if since is None or r[2] >= since.isoformat()]


@router.get("/{visit_id}")
def get_visit(visit_id: int) -> dict:
    row = get_connection().execute("SELECT * FROM visits WHERE id = ?", (visit_id,)).fetchone()
    return _row_to_visit(row)
