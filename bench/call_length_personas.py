"""The scripted callers of bench/call_length.py (issue 18): one row per caller."""

from __future__ import annotations

from callers import Persona, Problem

PRINTER = dict(category="hardware", equipment="HP LaserJet M404", asset_tag="1001",
               configuration="Windows 11, driver 5.1")


# The scripted callers. New ones give every detail; known ones ring from a demo customer's
# number (their details are on file).
NEW_PERSONAS = [
    Persona("new English keypad", "en-US", "+12025550147", keypad=True, name="Jane Doe",
            department="Finance", location="Building 2, room 301", account="52731",
            problems=(Problem(**PRINTER, text="The printer jams on every second page",
                              before="Printing the monthly report", impact="team",
                              urgency="impaired"),)),
    Persona("new English speech", "en-US", "+12025550148", keypad=False, name="Tom Baker",
            department="Sales", location="Building 1, room 12", account="40004",
            problems=(Problem(category="network", equipment="Cisco Meraki MR46",
                              configuration="Firmware 29",
                              text="Nobody on the second floor can reach the internet",
                              before="We were starting the morning meeting",
                              impact="organisation", urgency="blocked"),)),
    Persona("new English keypad, number withheld", "en-US", None, keypad=True,
            name="Sam Green", department="Legal", location="Building 3, room 5",
            account=None, callback="2025550188",
            problems=(Problem(category="access", text="My password expired and I am locked out",
                              before="Logging in after the holidays", impact="me",
                              urgency="blocked"),)),
    Persona("new Italian keypad", "it-IT", "+393331112222", keypad=True,
            name="Giulia Bianchi", department="Amministrazione",
            location="Edificio B, stanza 4", account="61001",
            problems=(Problem(category="software", licence="778210",
                              configuration="Windows 11 Pro",
                              text="Il programma di contabilità si chiude da solo",
                              before="Stavo salvando una fattura", impact="me",
                              urgency="works"),)),
    Persona("new Italian speech", "it-IT", "+393331113333", keypad=False,
            name="Luca Verdi", department="Logistica", location="Magazzino, piano terra",
            account="61002",
            problems=(Problem(category="hardware", equipment="Lenovo ThinkPad T14",
                              configuration="Windows 11",
                              text="Il portatile non si accende più",
                              before="Stavo aggiornando il sistema", impact="me",
                              urgency="blocked"),)),
    Persona("new Malay keypad", "ms-MY", "+60122223333", keypad=True, name="Ahmad Faiz",
            department="Kewangan", location="Bangunan C, bilik 7", account="71001",
            problems=(Problem(category="network", asset_tag="3002",
                              configuration="Windows 10",
                              text="Internet sangat perlahan sejak pagi",
                              before="Saya sedang menghantar emel", impact="team",
                              urgency="impaired"),)),
    Persona("new Malay speech", "ms-MY", "+60122224444", keypad=False, name="Nurul Huda",
            department="Pemasaran", location="Bangunan A, bilik 2", account="71002",
            problems=(Problem(category="hardware", equipment="Dell OptiPlex 7090",
                              configuration="Windows 11",
                              text="Skrin komputer saya berkelip",
                              before="Saya sedang menyediakan laporan", impact="me",
                              urgency="impaired"),)),
]
# Alice's caller ID is not a valid number: she is called back on her London number on file.
ALICE_ON_FILE = "+442079460101"
KNOWN_PERSONAS = [
    Persona("known English keypad (Alice)", "en-US", "+15551230001", known=True,
            called_back_on=ALICE_ON_FILE, keypad=True,
            problems=(Problem(**PRINTER, text="The printer prints blank pages",
                              before="Printing invoices", impact="me", urgency="impaired"),)),
    Persona("known English speech (Alice)", "en-US", "+15551230001", known=True,
            called_back_on=ALICE_ON_FILE, keypad=False,
            problems=(Problem(category="software", licence="LIC-77821",
                              equipment="Microsoft Office 365",
                              configuration="Office 365, version 2410",
                              text="Excel freezes when I open a large file",
                              before="Opening the budget", impact="me", urgency="works"),)),
    Persona("known Italian keypad (Marco)", "it-IT", "+393331234567", known=True,
            keypad=True, problems=(Problem(category="hardware", asset_tag="2001",
                                           equipment="Lenovo ThinkPad T14",
                                           configuration="Windows 11 Pro",
                                           text="La tastiera del portatile non risponde",
                                           before="Stavo scrivendo una email",
                                           impact="me", urgency="blocked"),)),
    Persona("known Italian speech (Marco)", "it-IT", "+393331234567", known=True,
            keypad=False, problems=(Problem(category="network", equipment="router",
                                            configuration="Windows 11 Pro",
                                            text="La VPN cade ogni dieci minuti",
                                            before="Ero in videochiamata",
                                            impact="team", urgency="impaired"),)),
    Persona("known Malay keypad (Siti)", "ms-MY", "+60123456789", known=True,
            keypad=True, problems=(Problem(category="hardware", asset_tag="3001",
                                           equipment="Dell OptiPlex 7090",
                                           configuration="Windows 11",
                                           text="Komputer saya tidak boleh dihidupkan",
                                           before="Saya baru sampai di pejabat",
                                           impact="me", urgency="blocked"),)),
    Persona("known Malay speech (Siti)", "ms-MY", "+60123456789", known=True,
            keypad=False, problems=(Problem(category="access",
                                            text="Saya tidak boleh log masuk ke emel",
                                            before="Saya menukar kata laluan",
                                            impact="me", urgency="impaired"),)),
]


def personas() -> list[Persona]:
    """The scripted callers: the new ones, then the known ones."""
    return NEW_PERSONAS + KNOWN_PERSONAS
