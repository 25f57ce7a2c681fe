from pydantic import BaseModel


class OwnerCreate(BaseModel):
    """Fields a client sends to create an owner."""

    first_name: str
    last_name: str
    city: str


class Owner(OwnerCreate):
    id: int
