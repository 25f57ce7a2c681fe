from fastapi import FastAPI

from app.routers import owners, visits

app = FastAPI(title="petclinic")
app.include_router(owners.router, prefix="/api")
app.include_router(visits.router, prefix="/api")


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
