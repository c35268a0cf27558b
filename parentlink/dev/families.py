"""Demo families for Coates Lane: about 210 pupils and 330 contacts, made up, reproducible.

Phone numbers come from Ofcom's drama range (07700 900000-900999) and email addresses are
at example.com, so nothing here can ever reach a real person.
"""

from __future__ import annotations

import csv
import io
import random

from parentlink.directory.importer import COLUMNS

CLASSES = (
    ("Reception", "Robins"),
    ("Year 1", "Wrens"),
    ("Year 2", "Owls"),
    ("Year 3", "Kestrels"),
    ("Year 4", "Herons"),
    ("Year 5", "Falcons"),
    ("Year 6", "Eagles"),
)
PUPILS_PER_CLASS = 30
CHILD_NAMES = [
    "Amelia",
    "Oscar",
    "Ruby",
    "Noah",
    "Isla",
    "Leo",
    "Ava",
    "Arlo",
    "Freya",
    "Theo",
    "Poppy",
    "Archie",
    "Ivy",
    "Jack",
    "Evie",
    "Harry",
    "Grace",
    "Alfie",
    "Sophia",
    "Muhammad",
    "Lily",
    "George",
    "Rosie",
    "Henry",
    "Maya",
    "Freddie",
    "Aisha",
    "Zain",
    "Zofia",
    "Kacper",
    "Hannah",
    "Yusuf",
    "Erin",
    "Reuben",
    "Nadia",
    "Idris",
    "Maryam",
    "Jakub",
    "Elsie",
    "Omar",
    "Florence",
    "Ibrahim",
    "Matilda",
    "Finley",
    "Willow",
    "Ezra",
    "Esme",
    "Rory",
    "Aria",
    "Louis",
    "Daisy",
    "Tommy",
    "Layla",
    "Ali",
    "Phoebe",
    "Max",
    "Iris",
    "Hugo",
]
ADULT_NAMES = [
    "Sarah",
    "James",
    "Emma",
    "David",
    "Laura",
    "Daniel",
    "Rachel",
    "Thomas",
    "Hannah",
    "Michael",
    "Sophie",
    "Mark",
    "Kate",
    "Paul",
    "Aisha",
    "Imran",
    "Agnieszka",
    "Piotr",
    "Fatima",
    "Tariq",
    "Claire",
    "Lee",
    "Joanne",
    "Craig",
    "Nicola",
    "Sean",
    "Helen",
    "Ian",
    "Amina",
    "Bilal",
    "Marta",
    "Tomasz",
    "Zara",
    "Hassan",
    "Gemma",
    "Ryan",
    "Leanne",
    "Darren",
    "Priya",
    "Raj",
]
SURNAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "Khan",
    "Walker",
    "Evans",
    "Thomas",
    "Roberts",
    "Hughes",
    "Green",
    "Hall",
    "Wood",
    "Clarke",
    "Hussain",
    "Nowak",
    "Kowalski",
    "Ali",
    "Begum",
    "Ahmed",
    "Turner",
    "Lewis",
    "Cooper",
    "Harris",
    "Ward",
    "King",
    "Baker",
    "Morris",
    "Bell",
    "Shaw",
    "Mills",
    "Kaur",
    "Singh",
    "Ellis",
]


def demo_families_csv(seed: int = 2026) -> bytes:
    """The demo school's families as the importer's CSV."""
    rng = random.Random(seed)
    seats = [(year, name) for year, name in CLASSES for _ in range(PUPILS_PER_CLASS)]
    rng.shuffle(seats)
    rows: list[dict[str, str]] = []
    pupil_no = contact_no = 0
    while seats:
        surname = rng.choice(SURNAMES)
        children = [
            seats.pop() for _ in range(min(len(seats), rng.choices((1, 2, 3), (55, 33, 12))[0]))
        ]
        carers = _carers(rng, surname, contact_no)
        contact_no += len(carers)
        for year, class_name in children:
            pupil_no += 1
            first = rng.choice(CHILD_NAMES)
            for carer in carers:
                rows.append(
                    {
                        "pupil_id": f"P{pupil_no:04d}",
                        "pupil_first_name": first,
                        "pupil_last_name": surname,
                        "year_group": year,
                        "class": class_name,
                        **carer,
                    }
                )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _carers(rng: random.Random, surname: str, start: int) -> list[dict[str, str]]:
    """One to four adults: usually two with parental responsibility (sometimes separated,
    each with their own details), now and then a grandparent or step-parent without it."""
    shape = rng.choices(("one", "two", "two+extra", "two+two"), (8, 50, 34, 8))[0]
    people = (
        [("Mother", True), ("Father", True)]
        if shape != "one"
        else [(rng.choice(("Mother", "Father", "Carer")), True)]
    )
    if shape == "two+extra":
        people.append(rng.choice((("Grandmother", False), ("Step-father", True), ("Aunt", False))))
    if shape == "two+two":
        people += [("Step-mother", True), ("Grandfather", False)]
    carers = []
    for offset, (relationship, pr) in enumerate(people):
        number = start + offset
        first = rng.choice(ADULT_NAMES)
        last = surname if rng.random() < 0.8 else rng.choice(SURNAMES)
        has_mobile = rng.random() < 0.93
        email = f"{first}.{last}{number}@example.com".lower()
        channel = "sms" if has_mobile and rng.random() < 0.75 else "email"
        carers.append(
            {
                "contact_id": f"C{number + 1:04d}",
                "contact_first_name": first,
                "contact_last_name": last,
                "relationship": relationship,
                "parental_responsibility": "yes" if pr else "no",
                "mobile": f"07700 900{number % 1000:03d}" if has_mobile else "",
                "email": email,
                "preferred_channel": channel,
            }
        )
    return carers
