from decimal import Decimal

VAT = Decimal("0.20")


def subtotal(lines: list[dict]) -> Decimal:
    total = Decimal("0")
    for line in lines:
        total += Decimal(str(line["price"])) * line["qty"] - Decimal(str(line.get("discount", 0)))
    return total


def total(lines: list[dict]) -> str:
    return str((subtotal(lines) * (1 + VAT)).quantize(Decimal("0.01")))
