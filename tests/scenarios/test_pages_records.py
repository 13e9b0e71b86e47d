"""The Medical Record's pages of issue 11 in a real browser, by clicks and typing only, on
both backends, each page state screenshotted and checked by axe-core (`browser.Browser.page`):
a family's "Latest lab results" on the welcome page, a result with its chart, "View all
results" and "Lab Diagnostic Reports"; "Immunization Records" printed (the print stylesheet,
seen through Chromium's print media) and downloaded as FHIR; the admins' "Imports"; the
"New information emails" setting under My Account; and the office's patient record with the
same results and immunizations.

The records come in as the hospital's systems send them (`POST /dev/fhir`, bundles from
fhir_bundles.py); what the API does with them is proven by test_records.py and
test_imports.py. Here the question is whether a person can see and use them.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from selenium.webdriver.common.by import By

import fhir_bundles as fhir
from browser import Browser
from conftest import CARDIOLOGY, CLINIC_NAMES, describe
from fhir_bundles import (
    CBC, DTAP, GLUCOSE, HEMOGLOBIN, HEPB, LEUKOCYTES, MMR, PLATELETS, POTASSIUM, SODIUM, diagnostic_report, encounter,
    immunization, literal, moment, observation,
)
from test_pages import sign_in, sign_out
from test_pages_profile import signed_in

FILE = "immunizations.fhir.json"
NOTE = "Slightly high. Please repeat the test in three months."
CONCLUSION = "Hemoglobin above the reference range; white cells and platelets normal."
# Enough older results that "View all results" has a second page (25 a page).
OLDER_POTASSIUM = 22


# --------------------------------------------------------------------------- records sent


def send(site, *resources: dict) -> dict:
    """One bundle whose entries must all be taken (201)."""
    b = fhir.bundle(*resources)
    r = site.post_fhir(b)
    assert fhir.statuses(r, b) == ["201"] * len(resources), describe(r)
    return b


def send_lab_history(site, patient_id: str) -> dict:
    """What the lab sent for a patient: three earlier hemoglobins within range, then a CBC
    report (today's hemoglobin high, with a note; leukocytes; platelets), a corrected sodium,
    a preliminary glucose, and older potassiums. The five newest: glucose, sodium, the CBC's
    three. Answers the resources by name."""
    subject = literal(patient_id)
    earlier = [observation(subject, HEMOGLOBIN, value, effective=moment(days))
               for value, days in ((12.1, 200), (13.4, 120), (12.8, 60))]
    cbc_time = moment(3)
    hgb = observation(subject, HEMOGLOBIN, 16.4, effective=cbc_time, interpretation="H", note=NOTE)
    wbc = observation(subject, LEUKOCYTES, 7.2, effective=cbc_time, interpretation="N")
    plt = observation(subject, PLATELETS, 250, effective=cbc_time, interpretation="N")
    report = diagnostic_report(subject, CBC, [hgb, wbc, plt], effective=cbc_time, conclusion=CONCLUSION)
    sodium = observation(subject, SODIUM, 139, effective=moment(2), status="corrected", interpretation="N")
    glucose = observation(subject, GLUCOSE, 88, effective=moment(1), status="preliminary")
    potassium = [observation(subject, POTASSIUM, round(3.6 + 0.05 * i, 2), effective=moment(300 + 7 * i))
                 for i in range(OLDER_POTASSIUM)]
    send(site, *earlier, hgb, wbc, plt, report, sodium, glucose, *potassium)
    return {"hgb": hgb, "report": report, "sodium": sodium, "glucose": glucose}


# The infant schedule, by days after birth (every patient here is over a year old):
# vaccine, day, dose number, lot, site, who gave it.
SCHEDULE = [
    (DTAP, 61, 1, "DT1234A", "LT", "Dr. Rivera"),
    (DTAP, 122, 2, "DT1234B", "RT", "Dr. Rivera"),
    (DTAP, 183, 3, "DT5678C", "LT", "Nurse Okafor"),
    (HEPB, 1, 1, "HB0001", "RT", "Nurse Okafor"),
    (HEPB, 30, 2, "HB0002", "LT", "Dr. Rivera"),
    (MMR, 365, 1, "MMR3344", "LA", "Dr. Rivera"),
]


def doses_of(patient: dict) -> list[tuple]:
    """The schedule for `patient`, each dose with its date (a FHIR date, no time)."""
    born = dt.date.fromisoformat(patient["birth_date"])
    return [(vaccine, (born + dt.timedelta(days=day)).isoformat(), dose, lot, where, who)
            for vaccine, day, dose, lot, where, who in SCHEDULE]


def send_immunizations(site, patient: dict) -> list[tuple]:
    doses = doses_of(patient)
    send(site, *[immunization(literal(patient["id"]), vaccine, occurred=date, dose=dose, lot=lot, site=where,
                              performer=who)
                 for vaccine, date, dose, lot, where, who in doses])
    return doses


# --------------------------------------------------------------------------- reading pages


def us_date(iso: str) -> str:
    """A date as the pages write it: "Mar 14, 2015"."""
    d = dt.date.fromisoformat(iso[:10])
    return f"{d:%b} {d.day}, {d.year}"


def rows(b: Browser, scope: str = "//main") -> list[str]:
    return [r.text for r in b.driver.find_elements(By.XPATH, f"{scope}//tbody/tr")]


def section(heading: str) -> str:
    return f"//main//section[.//h2[normalize-space()='{heading}']]"


def wait_rows(b: Browser, scope: str, count: int) -> list[str]:
    return b.wait(lambda: (found := rows(b, scope)) and len(found) == count and found, f"{count} rows in {scope}")


# --------------------------------------------------------------------------- journeys


def test_a_family_sees_latest_results_a_chart_all_results_and_reports(site, browser):
    b = browser
    family = site.make_family()
    sent = send_lab_history(site, family.patient["id"])

    # The welcome page: "Latest lab results", the five newest, flags and statuses in words.
    signed_in(b, family)
    assert b.menu() == ["Welcome", "Medical Record", "Appointments", "Messages", "My Account", "Help", "Sign out"]
    latest = wait_rows(b, section("Latest lab results"), 5)
    assert GLUCOSE.name in latest[0] and "Preliminary" in latest[0] and "88 mg/dL" in latest[0], latest[0]
    assert SODIUM.name in latest[1] and "Corrected" in latest[1] and "Normal" in latest[1], latest[1]
    hgb_row = next(r for r in latest if HEMOGLOBIN.name in r)
    assert "16.4 g/dL" in hgb_row and "High" in hgb_row, hgb_row
    assert us_date(sent["hgb"]["effectiveDateTime"]) in hgb_row, hgb_row
    assert POTASSIUM.name not in " ".join(latest)
    b.page("welcome-latest-results")

    # The test's name opens the result: value, range, interpretation, note, and its chart.
    b.click(HEMOGLOBIN.name)
    b.on(HEMOGLOBIN.name)
    chart = b.wait(lambda: b.driver.find_element(By.CSS_SELECTOR, "main svg.chart"), "the chart")
    text = b.main_text()
    for expected in ("16.4 g/dL", "High", "11.5 to 15.5 g/dL", NOTE, "Boston Children's Core Laboratory", "Final",
                     "LOINC 718-7"):
        assert expected in text, f"{expected!r} not on the result page"
    assert chart.get_attribute("role") == "img"
    label = chart.get_attribute("aria-label")
    assert label.startswith(f"{HEMOGLOBIN.name} over time: 4 values") and "16.4 g/dL" in label, label
    assert "Reference range 11.5 to 15.5 g/dL" in label, label
    assert len(chart.find_elements(By.CSS_SELECTOR, "circle.chart-point")) == 4
    assert len(chart.find_elements(By.CSS_SELECTOR, "circle.chart-point.out")) == 1  # only today's is high
    assert chart.find_elements(By.CSS_SELECTOR, "rect.chart-range"), "no reference range band"
    ticks = [t.text for t in chart.find_elements(By.CSS_SELECTOR, "text.chart-title")]
    assert ticks == ["Value (g/dL)", "Date collected"], ticks
    caption = b.driver.find_element(By.XPATH, f"{section('This test over time')}//table/caption").text
    assert caption == f"{HEMOGLOBIN.name}: every value, oldest first", caption
    history = rows(b, section("This test over time"))
    assert len(history) == 4, history
    assert "12.1 g/dL" in history[0] and "Within the range" in history[0], history
    assert "16.4 g/dL" in history[3] and "Above the range" in history[3] and "(this result)" in history[3], history
    b.page("result-chart")

    # "View all results": newest first, 25 a page, then "More results".
    b.click("View all results")
    b.on("Lab results")
    b.wait_text(f"Showing {family.patient['given_name']}'s record.")
    wait_rows(b, "//main", 25)
    b.page("lab-results")
    b.click("More results")
    everything = wait_rows(b, "//main", 8 + OLDER_POTASSIUM)
    assert GLUCOSE.name in everything[0], everything[0]
    b.wait_text(f"Showing {8 + OLDER_POTASSIUM} results.")

    # A corrected result says so before anything else.
    b.click(SODIUM.name)
    b.on(SODIUM.name)
    b.wait_text("Corrected: the lab corrected this after it was first reported.")
    assert "139 mmol/L" in b.main_text()
    b.page("result-corrected")

    # "Medical Record > Lab Diagnostic Reports": the CBC with its three results and conclusion.
    b.click("Medical Record")
    b.on("Medical Record")
    b.page("medical-record")
    b.click("Lab Diagnostic Reports")
    b.on("Lab Diagnostic Reports")
    [report_row] = wait_rows(b, "//main", 1)
    assert CBC.name in report_row and "Final" in report_row and report_row.rstrip().endswith("3"), report_row
    b.page("lab-reports")
    b.click(CBC.name)
    b.on(CBC.name)
    b.wait_text(CONCLUSION)
    in_report = wait_rows(b, section("Results"), 3)
    assert any(HEMOGLOBIN.name in r and "High" in r for r in in_report), in_report
    assert any(LEUKOCYTES.name in r for r in in_report) and any(PLATELETS.name in r for r in in_report), in_report
    b.page("lab-report")
    b.click(PLATELETS.name)
    b.on(PLATELETS.name)
    b.wait_text("250 10*3/uL")
    b.click("See the lab's report")
    b.on(CBC.name)


def test_b_the_family_prints_and_downloads_the_immunization_record(site, browser):
    b = browser
    family = site.make_family()
    patient = family.patient
    doses = send_immunizations(site, patient)

    signed_in(b, family)
    b.click("Medical Record")
    b.on("Medical Record")
    b.click("Immunization Records")
    b.on("Immunization Records")
    b.wait_text("DTaP (CVX 20)")
    headings = [e.text for e in b.driver.find_elements(By.CSS_SELECTOR, "main section.vaccine h2")]
    assert headings == ["DTaP (CVX 20)", "Hep B, adolescent or pediatric (CVX 08)", "MMR (CVX 03)"], headings
    dtap = rows(b, "//main//section[.//h2[normalize-space()='DTaP (CVX 20)']]")
    assert [r.split(" Dose ")[0] for r in dtap] == [us_date(d[1]) for d in doses[:3]], dtap
    assert "Dose 2" in dtap[1] and "DT1234B" in dtap[1] and "right thigh" in dtap[1] and "Dr. Rivera" in dtap[1], dtap[1]
    b.page("immunizations")

    # "Print" asks the browser to print; the print stylesheet is what the printer gets.
    b.driver.execute_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
    b.click("Print")
    assert b.driver.execute_script("return window.__printed") == 1
    b.emulate_media("print")
    try:
        # A4's printable width at 96 CSS px per inch (210 mm less the 15 mm margins), then
        # US Letter's (8.5 in less the margins): the record is no wider than either.
        for width in (680, 703):
            b.viewport(width, 1000)
            b.no_horizontal_scroll()
        assert not b.driver.find_element(By.ID, "menu").is_displayed(), "the menu is printed"
        assert not b.driver.find_element(By.CSS_SELECTOR, "header.site-header").is_displayed()
        assert not [e for e in b.driver.find_elements(By.CSS_SELECTOR, "button") if e.is_displayed()], "buttons are printed"
        printed = b.main_text()
        for expected in (f"{patient['given_name']} {patient['family_name']}", us_date(patient["birth_date"]),
                         "Tufts Children's Hospital", CLINIC_NAMES[patient["clinic"]], "Printed on "):
            assert expected in printed, f"{expected!r} not in the printed record"
        for vaccine, date, dose, lot, where, who in doses:
            assert lot in printed and us_date(date) in printed, f"dose {lot} not in the printed record"
        assert "Choose another child" not in printed and "Download" not in printed
        b.viewport(794, 1123)  # a whole A4 sheet, for the picture
        b.page("immunizations-print")
    finally:
        b.emulate_media("")
        b.reset_viewport()

    # "Download (FHIR)": the FHIR R4 Bundle, saved as immunizations.fhir.json.
    with tempfile.TemporaryDirectory(prefix="portal-downloads-") as folder:
        b.downloads_to(Path(folder))
        # The Blob the page makes, seen as it is made (the page's policy lets no script
        # fetch a blob: address back).
        b.driver.execute_script(
            "window.__blobs = []; const make = URL.createObjectURL;"
            "URL.createObjectURL = (blob) => { window.__blobs.push(blob.type); return make.call(URL, blob); };")
        b.click("Download (FHIR)")
        saved = b.downloaded(Path(folder), FILE)
        bundle = json.loads(saved.read_text())
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection", bundle.get("type")
    fhir.validate_r4(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Patient") == 1 and kinds.count("Immunization") == len(doses), kinds
    b.wait_text(f"is downloaded as {FILE}")
    again = b.driver.find_element(By.XPATH, "//main//a[@download]")
    assert again.get_attribute("download") == FILE and again.get_attribute("type") == "application/fhir+json"
    assert again.get_attribute("href").startswith("blob:"), again.get_attribute("href")
    assert b.driver.execute_script("return window.__blobs") == ["application/fhir+json"]
    b.page("immunizations-downloaded")


def test_c_an_admin_sees_the_bundles_just_sent_under_imports(site, browser):
    b = browser
    family = site.make_family()
    pid = family.patient["id"]
    sent = fhir.bundle(observation(literal(pid), HEMOGLOBIN, 12.5, effective=moment(1)),
                       encounter(literal(pid), start=moment(1)))
    assert fhir.statuses(site.post_fhir(sent), sent) == ["201", "422"]
    assert site.post_fhir(b'{"resourceType": "Patient"}').status_code == 400

    b.open("/")
    sign_in(b, "admin", site.admin_password, two_step=True)
    b.on("Welcome, admin")
    assert "Imports" in b.menu()
    b.click("Imports")
    b.on("Imports")
    newest = b.wait(lambda: (found := rows(b)) and len(found) >= 2 and found, "the imports")
    assert "Not taken: The body is not a FHIR Bundle." in newest[0], newest[0]
    assert "2 1 1" in newest[1] and "entry[1] Encounter:" in newest[1], newest[1]
    for phi in (family.patient["given_name"], family.patient["family_name"], pid):
        assert phi not in b.main_text()
    b.page("admin-imports")
    sign_out(b)


def test_d_the_family_turns_new_information_emails_off_and_on(site, browser):
    b = browser
    family = site.make_family()
    signed_in(b, family)
    b.click("My Account")
    b.on("My Account")
    b.wait_text("Saved setting: on.")
    box = "Email me when new information is in the portal"
    assert b.field(box).is_selected()
    b.page("my-account-emails")

    b.untick(box)
    b.click("Save email setting")
    b.wait_text("Saved. You will not get emails about new information.")
    b.wait_text("Saved setting: off.")
    assert site.get("/api/account/notifications", token=family.auth).json() == {"email_on_new_information": False}
    b.page("my-account-emails-off")

    b.driver.refresh()  # the saved state, as the server has it
    b.on("My Account")
    b.wait_text("Saved setting: off.")
    assert not b.field(box).is_selected()
    b.tick(box)
    b.click("Save email setting")
    b.wait_text("Saved. You will get an email when new information is in the portal.")
    assert site.get("/api/account/notifications", token=family.auth).json() == {"email_on_new_information": True}


def test_e_the_office_sees_the_same_results_and_immunizations(site, browser):
    b = browser
    staff = site.make_staff(clinics=(CARDIOLOGY,))
    family = site.make_family(staff.auth, clinic=CARDIOLOGY)
    patient = family.patient
    full_name = f"{patient['given_name']} {patient['family_name']}"
    send_lab_history(site, patient["id"])
    send_immunizations(site, patient)

    signed_in(b, staff)
    b.click("Find a patient")
    b.on("Find a patient")
    b.type("Name, date of birth or MRN", patient["family_name"])
    b.click("Search")
    b.click(f"Open {full_name}")
    b.on("Patient record")
    latest = wait_rows(b, section("Latest lab results"), 5)
    assert GLUCOSE.name in latest[0] and "Preliminary" in latest[0], latest[0]
    b.wait(lambda: "DTaP (CVX 20)" in b.main_text(), "the immunizations")
    assert b.driver.find_elements(By.XPATH, f"{section('Immunizations')}//h3[normalize-space()='MMR (CVX 03)']")
    b.page("office-patient-records")

    b.click("View all results")
    b.on("Lab results")
    b.wait_text(f"Showing {full_name}'s record.")
    wait_rows(b, "//main", 25)
    b.click(HEMOGLOBIN.name)
    b.on(HEMOGLOBIN.name)
    b.wait(lambda: b.driver.find_element(By.CSS_SELECTOR, "main svg.chart"), "the chart")
    b.page("office-result")
    b.click("Back to the patient record")
    b.on("Patient record")
    b.click("Immunization Records")
    b.on("Immunization Records")
    b.wait_text(full_name)
    b.wait_text(us_date(patient["birth_date"]))
    b.wait_text(CLINIC_NAMES[CARDIOLOGY])  # known to the office from its search
    b.page("office-immunizations")

    # A reload keeps the patient (by id, in the tab's storage) and names it again.
    b.driver.refresh()
    b.on("Immunization Records")
    b.wait_text(f"Showing {full_name}'s record.")


def test_the_result_page_fits_a_360_pixel_screen(site):
    family = site.make_family()
    send_lab_history(site, family.patient["id"])
    b = Browser(site, width=360, height=800)
    try:
        signed_in(b, family)
        wait_rows(b, section("Latest lab results"), 5)
        b.no_horizontal_scroll()
        b.click(HEMOGLOBIN.name)
        b.on(HEMOGLOBIN.name)
        b.wait(lambda: b.driver.find_element(By.CSS_SELECTOR, "main svg.chart"), "the chart")
        b.no_horizontal_scroll()
        b.page("result-chart-360")
    finally:
        b.close()
