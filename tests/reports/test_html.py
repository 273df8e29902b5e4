"""HTML report: self-contained, escaped, and working in a real headless
Chromium (hostile strings stay text, filter and sort work, no network)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reports import render
from reports.html import TEMPLATES, _env, blocks
from reports.merge import compare

from . import browser
from .samples import IMG, SCRIPT, live_doc, many_findings


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict]]:
    p = _Tags()
    p.feed(html)
    return p.tags


def _assert_self_contained(html: str) -> None:
    tags = _tags(html)
    names = [t for t, _ in tags]
    assert names.count("script") == 1 and names.count("style") == 1
    assert not {"link", "img", "iframe", "object", "embed", "base", "form", "audio", "video"} & set(names)
    for tag, attrs in tags:
        assert "src" not in attrs and "srcset" not in attrs, tag
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)  # no event handlers at all
        href = attrs.get("href")
        # in-page anchors, and the rule pages (a link the reader follows; nothing is loaded)
        assert href is None or href.startswith("#") or (
            href.startswith("https://") and attrs.get("class") == "help"
            and attrs.get("rel") == "noopener noreferrer"), href
    help_pages = {a["href"] for t, a in tags if t == "a" and a.get("class") == "help"}
    urls = set(re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s\"'<>]*", html, re.I))
    assert urls <= {"http://www.w3.org/2000/svg"} | help_pages, urls
    csp = next(a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert csp.startswith("default-src 'none';") and "script-src 'sha256-" in csp and "style-src 'sha256-" in csp
    assert "unsafe" not in csp


def test_autoescape_is_on_and_nothing_is_marked_safe():
    assert _env().autoescape is True
    for path in TEMPLATES.glob("*.j2"):
        text = path.read_text()
        assert "|safe" not in text.replace(" ", "") and "autoescape false" not in text
    source = (Path(__file__).resolve().parents[2] / "reports" / "html.py").read_text()
    assert source.count("Markup(") == 1  # our own CSS/JS assets only


def test_hostile_scan_renders_as_text(hostile):
    root, doc = hostile
    html = render(doc, "html")
    _assert_self_contained(html)
    assert SCRIPT not in html and IMG not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in html


def test_live_document_sections(live):
    html = render(live, "html")
    _assert_self_contained(html)
    assert SCRIPT not in html and IMG not in html
    for section in ('id="summary"', 'id="findings"', 'id="suppressed"', 'id="gaps"', 'id="plan"', 'id="rules"'):
        assert section in html
    assert "Findings by account" in html and '<td class="mono">222222222222</td>' in html
    assert "raise-instance-count" in html and "stop-idle-endpoint" in html
    assert "DesiredInstanceCount" in html and "→" in html
    assert "AccessDenied" in html and "GetPolicyVersion" in html
    assert "tag says: &lt;script&gt;" in html  # suppression justification, escaped
    assert "FAIL: 2 unsuppressed finding(s)" in html  # SM201 fraud-prod and the rule-pack error


def test_paging_is_the_same_in_python_and_script():
    from reports.html import PAGE

    assert f"var PAGE = {PAGE};" in (TEMPLATES / "report.js").read_text()
    html = render(many_findings(PAGE + 3), "html")
    rows = [a for t, a in _tags(html) if t == "tr" and "finding" in (a.get("class") or "")]
    assert len(rows) == PAGE + 3 and sum("hidden" in a for a in rows) == 3


def test_rule_doc_blocks():
    b = blocks("Set `InitialInstanceCount: 2` or more.\n\n- one `x`\n  continued\n\n```yaml\n  A: 1\n```\n")
    assert b == [
        {"kind": "p", "spans": [(False, "Set "), (True, "InitialInstanceCount: 2"), (False, " or more.")]},
        {"kind": "li", "spans": [(False, "one "), (True, "x"), (False, " continued")]},
        {"kind": "pre", "text": "A: 1"},
    ]


def test_baseline_sections(live):
    old = live_doc()
    new = live.model_copy(update={"findings": [f for f in live.findings if f.rule != "SM402"]})
    reduced, base = compare(new, old, ["old.json"])
    html = render(reduced, "html", baseline=base)
    assert 'id="fixed"' in html and "old.json" in html
    assert "0</strong> new" in html and "<strong>1</strong> fixed" in html


# -- in a real browser -------------------------------------------------------------

def test_missing_browser_skips_with_the_reason_unless_required(monkeypatch):
    monkeypatch.setattr(browser, "CHROMIUM", "/nonexistent/chromium")
    for ci in ("true", None):  # CI alone does not fail: only the explicit requirement does
        if ci:
            monkeypatch.setenv("CI", ci)
        else:
            monkeypatch.delenv("CI", raising=False)
        monkeypatch.delenv("SM_AUDIT_REQUIRE_BROWSER", raising=False)
        with pytest.raises(pytest.skip.Exception, match="chromium not found at /nonexistent/chromium: install "
                           "Debian's chromium and chromium-driver .apt-get install -y chromium chromium-driver"):
            browser.browser_or_skip()
        monkeypatch.setenv("SM_AUDIT_REQUIRE_BROWSER", "1")
        with pytest.raises(pytest.fail.Exception, match="SM_AUDIT_REQUIRE_BROWSER=1 but chromium not found"):
            browser.browser_or_skip()
    monkeypatch.setenv("SM_AUDIT_REQUIRE_BROWSER", "0")
    with pytest.raises(pytest.skip.Exception):
        browser.browser_or_skip()


def _open(chrome, tmp_path, html: str, name="report.html"):
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    chrome.get_log("performance")  # drop what earlier pages logged
    chrome.get(path.as_uri())
    return path


def _visible_rows(chrome):
    return chrome.execute_script(
        "return Array.from(document.querySelectorAll('#findings-table tbody tr'))"
        ".filter(r => !r.hidden).map(r => [r.querySelector('a.rule').textContent, r.dataset.severity,"
        " r.querySelector('.res').textContent])")


@pytest.mark.browser
def test_browser_hostile_strings_are_text_and_never_run(chrome, hostile, tmp_path):
    root, doc = hostile
    _open(chrome, tmp_path, render(doc, "html"))
    assert chrome.execute_script("return typeof window.__pwned") == "undefined"
    assert chrome.execute_script("return document.images.length") == 0
    assert chrome.execute_script("return document.scripts.length") == 1
    body = chrome.execute_script("return document.body.innerText")
    assert SCRIPT in body and IMG in body  # shown, as text
    # the filter worked on hostile text too without running it
    chrome.execute_script("var f=document.getElementById('filter'); f.value='onerror'; "
                          "f.dispatchEvent(new Event('input'))")
    rows = _visible_rows(chrome)
    assert rows and all(r[0] == "SM201" for r in rows)
    assert chrome.execute_script("return typeof window.__pwned") == "undefined"
    # nothing complained: no CSP violation (our script and style hashes match) and no errors
    logs = [e for e in chrome.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert logs == []


@pytest.mark.browser
def test_browser_filter_and_severity(chrome, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    html = render(live_doc(), "html")
    _open(chrome, tmp_path, html)
    all_rows = _visible_rows(chrome)
    assert [r[0] for r in all_rows] == ["SM000", "SM201", "SM402"]  # the active ones, errors first
    box = chrome.find_element(By.ID, "filter")
    box.send_keys("fraud")
    assert _visible_rows(chrome) == [["SM201", "error", "fraud-prod"]]
    assert chrome.find_element(By.ID, "shown").text == "1 of 3 shown"
    box.clear()
    box.send_keys("no such thing")
    assert _visible_rows(chrome) == []
    assert chrome.find_element(By.ID, "no-match").is_displayed()
    box.clear()
    chrome.execute_script("document.getElementById('filter').dispatchEvent(new Event('input'))")
    Select(chrome.find_element(By.ID, "severity")).select_by_value("unknown")
    assert [r[0] for r in _visible_rows(chrome)] == ["SM402"]


@pytest.mark.browser
def test_browser_sorting(chrome, corpus_doc, tmp_path):
    from selenium.webdriver.common.by import By

    _open(chrome, tmp_path, render(corpus_doc, "html"))
    rows = _visible_rows(chrome)
    assert len(rows) > 20
    button = chrome.find_element(By.CSS_SELECTOR, "th button[data-sort='rule']")
    button.click()
    asc = [r[0] for r in _visible_rows(chrome)]
    assert asc == sorted(asc) and asc != [r[0] for r in rows]
    button.click()
    desc = [r[0] for r in _visible_rows(chrome)]
    assert desc == sorted(desc, reverse=True)
    sev = chrome.find_element(By.CSS_SELECTOR, "th button[data-sort='rank']")
    sev.click()
    ranks = chrome.execute_script("return Array.from(document.querySelectorAll('#findings-table tbody tr'))"
                                  ".map(r => Number(r.dataset.rank))")
    assert ranks == sorted(ranks)


@pytest.mark.browser
def test_browser_finding_details_show_the_rule_doc(chrome, hostile, tmp_path):
    from rules.sm201_high_availability import HighAvailability as SM201
    from selenium.webdriver.common.by import By

    _, doc = hostile
    _open(chrome, tmp_path, render(doc, "html"))
    row = next(r for r in chrome.find_elements(By.CSS_SELECTOR, "#findings-table tbody tr")
               if r.find_element(By.CSS_SELECTOR, "a.rule").text == "SM201"
               and r.find_element(By.CSS_SELECTOR, ".res").text == "Config")
    detail = row.find_element(By.CSS_SELECTOR, "details.detail")
    assert not detail.find_element(By.CSS_SELECTOR, ".ruledoc").text  # filled when opened
    detail.find_element(By.TAG_NAME, "summary").click()
    from selenium.webdriver.support.ui import WebDriverWait

    # the toggle event fires asynchronously after the click
    WebDriverWait(chrome, 5).until(lambda _: detail.find_element(By.CSS_SELECTOR, ".ruledoc").text)
    text = detail.text
    assert "ProductionVariants[0].InitialInstanceCount" in text
    assert SM201.policy in text and "Why it matters" in text and "How to fix" in text
    assert " ".join(SM201.doc().fix.replace("`", "").split())[:40] in " ".join(text.split())
    # printing opens every detail with its doc, and puts them back afterwards
    chrome.execute_script("window.dispatchEvent(new Event('beforeprint'))")
    opened = chrome.execute_script(
        "return Array.from(document.querySelectorAll('details.detail')).map(d => [d.open,"
        " d.querySelector('.ruledoc') ? d.querySelector('.ruledoc').children.length : 1])")
    assert opened and all(o and n > 0 for o, n in opened)
    chrome.execute_script("window.dispatchEvent(new Event('afterprint'))")
    still = chrome.execute_script("return document.querySelectorAll('details.detail[open]').length")
    assert still == 1  # the one opened by hand


@pytest.mark.browser
def test_browser_large_reports_page(chrome, tmp_path):
    from reports.html import PAGE
    from selenium.webdriver.common.by import By

    _open(chrome, tmp_path, render(many_findings(PAGE + 100), "html"))
    assert len(_visible_rows(chrome)) == PAGE
    assert chrome.find_element(By.ID, "shown").text == f"{PAGE} of {PAGE + 100} shown ({PAGE + 100} match)"
    box = chrome.find_element(By.ID, "filter")
    box.send_keys("ep-05")  # ep-0500 .. ep-0599: all beyond the first page
    assert [r[2] for r in _visible_rows(chrome)] == [f"ep-{i:04d}" for i in range(500, 600)]
    assert not chrome.find_element(By.ID, "show-all").is_displayed()
    box.clear()
    chrome.execute_script("document.getElementById('filter').dispatchEvent(new Event('input'))")
    chrome.find_element(By.ID, "show-all").click()
    assert len(_visible_rows(chrome)) == PAGE + 100
    # sorting keeps every row
    chrome.find_element(By.CSS_SELECTOR, "th button[data-sort='resource']").click()
    chrome.find_element(By.CSS_SELECTOR, "th button[data-sort='resource']").click()
    res = [r[2] for r in _visible_rows(chrome)]
    assert len(res) == PAGE + 100 and res == sorted(res, reverse=True)


@pytest.mark.browser
def test_browser_makes_no_network_requests(chrome, live, tmp_path):
    page = _open(chrome, tmp_path, render(live, "html"))
    requests = []
    for entry in chrome.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            requests.append(msg["params"]["request"]["url"])
    assert requests == [page.as_uri()]
    assert chrome.execute_script("return performance.getEntriesByType('resource').length") == 0


@pytest.mark.browser
def test_browser_print_layout(chrome, live, tmp_path):
    import base64

    _open(chrome, tmp_path, render(live, "html"))
    chrome.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        hidden = chrome.execute_script(
            "return [getComputedStyle(document.querySelector('.controls')).display,"
            " getComputedStyle(document.querySelector('nav.toc')).display]")
        assert hidden == ["none", "none"]
    finally:
        chrome.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    pdf = chrome.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})
    data = base64.b64decode(pdf["data"])
    assert data.startswith(b"%PDF") and len(data) > 10_000


@pytest.mark.browser
def test_browser_screenshot(chrome, corpus_doc, tmp_path):
    """A picture to look at (kept in the pytest temp dir): the report renders with its styles."""
    _open(chrome, tmp_path, render(corpus_doc, "html"))
    shot = tmp_path / "report.png"
    assert chrome.save_screenshot(str(shot)) and shot.stat().st_size > 20_000
    # styles applied (the CSP hash matched): the verdict is a coloured box, the chart has bars
    assert chrome.execute_script("return getComputedStyle(document.getElementById('verdict')).borderTopStyle") \
        == "solid"
    assert chrome.execute_script("return document.querySelectorAll('svg.chart rect').length") > 4
