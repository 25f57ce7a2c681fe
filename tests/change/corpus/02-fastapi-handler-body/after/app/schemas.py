from pydantic import BaseModel


class OwnerCreate(BaseModel):
    first_name: str
    last_name: str
    city: str


class Owner(OwnerCreate):
    id: int
