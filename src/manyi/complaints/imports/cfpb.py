"""Reading the public CFPB Consumer Complaint Database export (`--format cfpb`).

The US Consumer Financial Protection Bureau publishes complaints as CSV with a fixed English
header. The value tables below translate its wording into manyi's classification; every label
that does not appear in a table lands on the `other` cause, never on an error, because the
CFPB adds and renames labels from time to time. Quirks of real exports handled here:

- empty values are often written out as the text ``None`` (and ``N/A`` for "Consumer
  disputed?"); they count as empty;
- most complaints are published without a narrative; an empty narrative is normal;
- "Date sent to company" is when the CFPB forwarded the complaint, not a decision date, and
  the export has no decision date at all, so `decided_on` stays empty;
- ZIP codes are partly masked ("985XX"); a fully masked one ("XXXXX") is dropped.
"""

from __future__ import annotations

import datetime as dt

from manyi.complaints.domain.taxonomy import Flag, Intake
from manyi.complaints.imports.base import (
    ImportedComplaint,
    ImportFormatError,
    LineError,
    clip,
    narrative,
)
from manyi.complaints.imports.dates import DateReader, NotADate, Order, read_date

DATE_RECEIVED = "Date received"
PRODUCT = "Product"
SUB_PRODUCT = "Sub-product"
ISSUE = "Issue"
SUB_ISSUE = "Sub-issue"
NARRATIVE = "Consumer complaint narrative"
STATE = "State"
ZIP_CODE = "ZIP code"
TAGS = "Tags"
SUBMITTED_VIA = "Submitted via"
RESPONSE = "Company response to consumer"
TIMELY = "Timely response?"
COMPLAINT_ID = "Complaint ID"

# The whole header of the public export, in its order; only REQUIRED_COLUMNS must be there.
COLUMNS = (
    DATE_RECEIVED,
    PRODUCT,
    SUB_PRODUCT,
    ISSUE,
    SUB_ISSUE,
    NARRATIVE,
    "Company public response",
    "Company",
    STATE,
    ZIP_CODE,
    TAGS,
    "Consumer consent provided?",
    SUBMITTED_VIA,
    "Date sent to company",
    RESPONSE,
    TIMELY,
    "Consumer disputed?",
    COMPLAINT_ID,
)
REQUIRED_COLUMNS = (DATE_RECEIVED, PRODUCT, ISSUE, COMPLAINT_ID)

# --- Value tables ------------------------------------------------------------------------
# Keys are compared without regard to case, surrounding space or curly apostrophes.

# Product, or (Product, Sub-product) where the sub-product says more → business code.
BUSINESS_FOR_PRODUCT: dict[str | tuple[str, str], str] = {
    "Payday loan, title loan, or personal loan": "loans.consumer",
    "Payday loan, title loan, personal loan, or advance loan": "loans.consumer",
    "Payday loan": "loans.consumer",
    "Consumer Loan": "loans.consumer",
    ("Consumer Loan", "Vehicle loan"): "loans.auto",
    "Vehicle loan or lease": "loans.auto",
    "Mortgage": "loans.mortgage",
    "Student loan": "loans.education",
    "Debt collection": "loans",
    ("Debt collection", "Credit card debt"): "cards.credit",
    ("Debt collection", "Mortgage debt"): "loans.mortgage",
    ("Debt collection", "Payday loan debt"): "loans.consumer",
    ("Debt collection", "Auto debt"): "loans.auto",
    ("Debt collection", "Federal student loan debt"): "loans.education",
    ("Debt collection", "Private student loan debt"): "loans.education",
    "Credit card": "cards.credit",
    "Credit card or prepaid card": "cards.credit",
    ("Credit card or prepaid card", "General-purpose prepaid card"): "payments.prepaid",
    ("Credit card or prepaid card", "Gift card"): "payments.prepaid",
    ("Credit card or prepaid card", "Payroll card"): "payments.prepaid",
    ("Credit card or prepaid card", "Government benefit card"): "payments.prepaid",
    "Prepaid card": "payments.prepaid",
    "Checking or savings account": "savings",
    ("Checking or savings account", "Checking account"): "savings.demand",
    ("Checking or savings account", "Savings account"): "savings.demand",
    ("Checking or savings account", "CD (Certificate of Deposit)"): "savings.time",
    "Bank account or service": "savings",
    "Money transfer, virtual currency, or money service": "payments",
    ("Money transfer, virtual currency, or money service", "Domestic (US) money transfer"): (
        "payments.transfer"
    ),
    ("Money transfer, virtual currency, or money service", "International money transfer"): (
        "forex.remittance"
    ),
    ("Money transfer, virtual currency, or money service", "Mobile or digital wallet"): (
        "payments.online"
    ),
    ("Money transfer, virtual currency, or money service", "Foreign currency exchange"): (
        "forex.exchange"
    ),
    "Money transfers": "payments.transfer",
    "Credit reporting": "personal_info.credit_report",
    "Credit reporting or other personal consumer reports": "personal_info.credit_report",
    "Credit reporting, credit repair services, or other personal consumer reports": (
        "personal_info.credit_report"
    ),
}

# Products whose complaints are all about one cause, whatever the Issue says.
CAUSE_FOR_PRODUCT: dict[str, str] = {
    "Debt collection": "collection",
}

# Issue → cause code. The first block is the 24 labels of the payday/title/personal loan
# sample (shared/data); the second covers labels other products use often.
CAUSE_FOR_ISSUE: dict[str, str] = {
    # Fees the consumer did not see coming: the price, not its disclosure, is disputed.
    "Charged fees or interest you didn't expect": "pricing",
    "Problem when making payments": "rules",
    "Struggling to pay your loan": "rules",
    "Problem with the payoff process at the end of the loan": "rules",
    # Complaints about getting credit are mostly terms that differ from what was presented.
    "Getting the loan": "disclosure",
    "Getting a line of credit": "disclosure",
    # Add-ons sold with the loan: the consumer's right to decline (搭售).
    "Problem with additional add-on products or services": "free_choice",
    "Credit monitoring or identity theft protection services": "free_choice",
    # What the lender reports about the consumer is personal information (征信).
    "Incorrect information on your report": "info_security",
    "Improper use of your report": "info_security",
    "Problem with fraud alerts or security freezes": "info_security",
    "Problem with a credit reporting company's investigation into an existing problem": "rules",
    "Unable to get your credit report or credit score": "service_quality",
    # A loan in the consumer's name that they never asked for is fraud.
    "Received a loan you didn't apply for": "fund_safety",
    "Can't stop withdrawals from your bank account": "fund_safety",
    "Money was taken from your bank account on the wrong day or for the wrong amount": "rules",
    "Loan payment wasn't credited to your account": "rules",
    "Was approved for a loan, but didn't receive the money": "rules",
    "Problem with cash advance": "rules",
    "Can't contact lender or servicer": "service_quality",
    # A limit changed without agreement is a unilateral change of contract terms.
    "Credit limit changed": "contract",
    # Repossession and what happens to the property are collection actions.
    "Vehicle was repossessed or sold the vehicle": "collection",
    "Vehicle was damaged or destroyed the vehicle": "collection",
    "Property was damaged or destroyed property": "collection",
    # Other products.
    "Fees or interest": "pricing",
    "Unexpected or other fees": "pricing",
    "Incorrect exchange rate": "pricing",
    "Getting a credit card": "disclosure",
    "Confusing or missing disclosures": "disclosure",
    "Advertising and marketing, including promotional offers": "marketing",
    "Advertising": "marketing",
    "Closing your account": "rules",
    "Closing an account": "rules",
    "Opening an account": "rules",
    "Managing an account": "rules",
    "Managing the loan or lease": "rules",
    "Struggling to pay your bill": "rules",
    "Struggling to pay mortgage": "rules",
    "Struggling to repay your loan": "rules",
    "Trouble during payment process": "rules",
    "Applying for a mortgage or refinancing an existing mortgage": "disclosure",
    "Closing on a mortgage": "rules",
    "Problem caused by your funds being low": "pricing",
    "Problem with a company's investigation into an existing problem": "rules",
    "Problem with a purchase shown on your statement": "rules",
    "Trouble using your card": "facilities",
    "Other transaction problem": "rules",
    "Money was not available when promised": "rules",
    "Problem with customer service": "service_quality",
    "Dealing with your lender or servicer": "service_quality",
    "Fraud or scam": "fund_safety",
    "Unauthorized transactions or other transaction problem": "fund_safety",
    "Problem with a lender or other company charging your account": "fund_safety",
    "Identity theft protection or other monitoring services": "free_choice",
    "Attempts to collect debt not owed": "collection",
    "Communication tactics": "collection",
    "False statements or representation": "collection",
    "Took or threatened to take negative or legal action": "collection",
    "Threatened to contact someone or share information improperly": "collection",
    "Written notification about debt": "collection",
    "Electronic communications": "collection",
    "Other features, terms, or problems": "other",
}

INTAKE_FOR_SUBMITTED_VIA: dict[str, Intake] = {
    "Web": Intake.WEB,
    "Phone": Intake.HOTLINE,
    "Referral": Intake.REGULATOR,  # forwarded by another agency
    "Web Referral": Intake.REGULATOR,
    "Postal mail": Intake.LETTER,
    "Fax": Intake.LETTER,
    "Email": Intake.EMAIL,
}
DEFAULT_INTAKE = Intake.WEB

FLAGS_FOR_TAG: dict[str, Flag] = {
    "Older American": Flag.VULNERABLE,
}

EMPTY_VALUES = frozenset({"", "none", "n/a"})


def _key(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split()).casefold()


def _keyed(table: dict[str, str]) -> dict[str, str]:
    return {_key(k): v for k, v in table.items()}


_BUSINESS = {
    (_key(k) if isinstance(k, str) else (_key(k[0]), _key(k[1]))): v
    for k, v in BUSINESS_FOR_PRODUCT.items()
}
_CAUSE_FOR_PRODUCT = _keyed(CAUSE_FOR_PRODUCT)
_CAUSE = _keyed(CAUSE_FOR_ISSUE)
_INTAKE = {_key(k): v for k, v in INTAKE_FOR_SUBMITTED_VIA.items()}
_FLAGS = {_key(k): v for k, v in FLAGS_FOR_TAG.items()}


def business_for(product: str, sub_product: str = "") -> str | None:
    p = _key(product)
    return _BUSINESS.get((p, _key(sub_product))) or _BUSINESS.get(p)


def cause_for(issue: str, product: str = "") -> str:
    return _CAUSE_FOR_PRODUCT.get(_key(product)) or _CAUSE.get(_key(issue), "other")


# --- Dates -------------------------------------------------------------------------------
# The export writes MM/DD/YY; a spreadsheet that re-saves it writes the dates its own way
# (2019/4/4 on Chinese Windows). Every unambiguous form is read (dates.read_date); a date with
# the year last is month first, since the CFPB is a US agency.


def parse_date(text: str) -> dt.date | None:
    found = read_date(text, Order.MONTH_FIRST)
    return None if isinstance(found, NotADate) else found


# --- Rows --------------------------------------------------------------------------------


class CfpbConverter:
    id_column = COMPLAINT_ID

    def __init__(
        self, header: list[str], header_line: int, *, serial_epoch: dt.datetime | None = None
    ) -> None:
        where = {name: i for i, name in enumerate(header)}
        missing = [name for name in REQUIRED_COLUMNS if name not in where]
        if missing:
            names = ", ".join(repr(n) for n in missing)
            raise ImportFormatError(
                f"missing required column(s) {names}: this is not a CFPB complaint export "
                f"(expected a header with {', '.join(REQUIRED_COLUMNS)}, …)",
                header_line,
            )
        self._at = where
        self._dates = DateReader(Order.MONTH_FIRST, serial_epoch=serial_epoch)

    def _get(self, row: list[str], column: str) -> str:
        i = self._at.get(column)
        if i is None:
            return ""
        value = row[i].strip()
        return "" if value.casefold() in EMPTY_VALUES else value

    def convert(
        self, line: int, row: list[str], errors: list[LineError]
    ) -> ImportedComplaint | None:
        get = self._get
        ok = True
        external_id = get(row, COMPLAINT_ID)
        if not external_id:
            errors.append(LineError(line, COMPLAINT_ID, f"{COMPLAINT_ID} is empty"))
            ok = False
        raw_date = get(row, DATE_RECEIVED)
        received = self._dates.read(raw_date) if raw_date else NotADate("")
        if isinstance(received, NotADate):
            reason = (
                f"{DATE_RECEIVED} '{raw_date}' {received.reason}"
                if raw_date
                else f"{DATE_RECEIVED} is empty"
            )
            errors.append(LineError(line, DATE_RECEIVED, reason))
            return None
        if not ok:
            return None

        product, sub_product = get(row, PRODUCT), get(row, SUB_PRODUCT)
        issue, sub_issue = get(row, ISSUE), get(row, SUB_ISSUE)
        response = get(row, RESPONSE)
        timely = get(row, TIMELY).casefold()
        story = row[self._at[NARRATIVE]] if NARRATIVE in self._at else ""
        tags = get(row, TAGS)
        return ImportedComplaint(
            line=line,
            external_id=external_id,
            received_on=received,
            intake=_INTAKE.get(_key(get(row, SUBMITTED_VIA)), DEFAULT_INTAKE),
            business_code=business_for(product, sub_product),
            cause_code=cause_for(issue, product),
            channel_code=None,
            subject=clip(f"{issue} — {sub_issue}" if sub_issue else issue),
            description="" if story.strip() == "None" else narrative(story),
            product=f"{product} / {sub_product}" if sub_product else product,
            closed=response.casefold().startswith("closed"),
            decision=response,
            decided_on=None,
            timely=True if timely == "yes" else False if timely == "no" else None,
            region=_region(get(row, STATE), get(row, ZIP_CODE)),
            flags=_flags(tags) if tags else frozenset(),
        )


def _region(state: str, zip_code: str) -> str:
    if zip_code and zip_code.strip("Xx"):
        return f"{state} {zip_code}".strip()
    return state


def _flags(tags: str) -> frozenset[Flag]:
    found = (_FLAGS.get(_key(tag)) for tag in tags.split(","))
    return frozenset(flag for flag in found if flag is not None)
