"""Builders of Shopify admin export CSVs (the 79-column orders header of a genuine export)."""

from __future__ import annotations

import csv
import io

ORDERS_HEADER = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,"
    "Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,"
    "Lineitem name,Lineitem price,Lineitem compare at price,Lineitem sku,Lineitem requires shipping,"
    "Lineitem taxable,Lineitem fulfillment status,Billing Name,Billing Street,Billing Address1,"
    "Billing Address2,Billing Company,Billing City,Billing Zip,Billing Province,Billing Country,"
    "Billing Phone,"
    "Shipping Name,Shipping Street,Shipping Address1,Shipping Address2,Shipping Company,Shipping City,"
    "Shipping Zip,Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,"
    "Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,Location,Device ID,"
    "Id,Tags,Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,Tax 2 Name,Tax 2 Value,Tax 3 Name,"
    "Tax 3 Value,Tax 4 Name,Tax 4 Value,Tax 5 Name,Tax 5 Value,Phone,Receipt Number,Duties,"
    "Billing Province Name,Shipping Province Name,Payment ID,Payment Terms Name,Next Payment Due At,"
    "Payment References"
).split(",")
CUSTOMERS_HEADER = (
    "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
    "Default Address Address1,Default Address Address2,Default Address City,Default Address Province Code,"
    "Default Address Country Code,Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,"
    "Total Spent,Total Orders,Note,Tax Exempt,Tags,Loyalty tier (customer.metafields.loyalty.tier)"
).split(",")
OLD_CUSTOMERS_HEADER = (
    "First Name,Last Name,Email,Accepts Marketing,Company,Address1,Address2,City,Province,Province Code,"
    "Country,Country Code,Zip,Phone,Total Spent,Total Orders,Tags,Note,Tax Exempt"
).split(",")


def order_rows(
    number: int, email: str, items: list[tuple[str, int, str]], **fields: str
) -> list[dict[str, str]]:
    """One order as the export writes it: the first row complete, continuation rows only Lineitem columns."""
    first = {
        "Name": f"#{number}",
        "Email": email,
        "Financial Status": "paid",
        "Fulfillment Status": "fulfilled",
        "Currency": "USD",
        "Created at": "2026-10-01 10:00:00 -0400",
        "Id": str(5_000_000 + number),
        "Total": "0.00",
        **fields,
    }
    first["Total"] = fields.get(
        "Total", f"{sum(int(q) * float(p) for _, q, p in items if str(q).isdigit()):.2f}"
    )
    rows = []
    for i, (title, quantity, price) in enumerate(items):
        line = {"Lineitem name": title, "Lineitem quantity": str(quantity), "Lineitem price": price}
        rows.append({**first, **line} if i == 0 else {"Name": f"#{number}", **line})
    return rows


def to_csv(header: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
