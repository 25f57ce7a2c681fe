from fastapi import APIRouter, HTTPException

from app.schemas import Owner, OwnerCreate
from app.services import owners as owner_service

router = APIRouter(prefix="/owners", tags=["owners"])


@router.get("/", response_model=list[Owner])
def list_owners(last_name: str | None = None, limit: int = 50) -> list[Owner]:
    return owner_service.search(last_name=last_name, limit=limit)


@router.get("/{owner_id}", response_model=Owner)
def get_owner(owner_id: int) -> Owner:
    owner = owner_service.find(owner_id)
    if owner is None:
        raise HTTPException(status_code=404, detail="owner not found")
    return owner


@router.post("/", response_model=Owner, status_code=201)
def create_owner(body: OwnerCreate) -> Owner:
    return owner_service.create(body)
