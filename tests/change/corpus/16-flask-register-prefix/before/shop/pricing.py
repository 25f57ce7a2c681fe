from decimal import Decimal

VAT = Decimal("0.20")


def subtotal(lines: list[dict]) -> Decimal:
    return sum((Decimal(str(line["price"])) * line["qty"] for line in lines), Decimal("0"))


def total(lines: list[dict]) -> str:
    return str((subtotal(lines) * (1 + VAT)).quantize(Decimal("0.01")))
