"""Names for the demo school (markbook_demo): common forenames and surnames of a modern UK school.

Shipped as data so the runtime needs no Faker. Names are grouped by broad heritage so
that a pupil's name fits their recorded ethnicity code (mixed codes take a forename
from one group and a surname from another). The lists are deliberately varied, not
a census.
"""

# DfE ethnicity code -> (share of pupils in %, name groups for forename, surname).
# Shares roughly follow England's school census for a large town secondary.
ETHNICITY_MIX: dict[str, tuple[float, str, str]] = {
    "WBRI": (58.0, "british", "british"),
    "WIRI": (1.0, "irish", "irish"),
    "WIRT": (0.3, "irish", "irish"),
    "WROM": (0.7, "european", "european"),
    "WOTH": (7.5, "european", "european"),
    "MWBC": (1.5, "black", "british"),
    "MWBA": (1.0, "british", "black"),
    "MWAS": (1.8, "british", "south_asian"),
    "MOTH": (2.2, "other", "british"),
    "AIND": (3.8, "south_asian", "south_asian"),
    "APKN": (4.8, "south_asian", "south_asian"),
    "ABAN": (2.0, "south_asian", "south_asian"),
    "AOTH": (2.2, "south_asian", "south_asian"),
    "BCRB": (1.0, "black", "british"),
    "BAFR": (4.2, "black", "black"),
    "BOTH": (0.8, "black", "black"),
    "CHNE": (0.6, "chinese", "chinese"),
    "OOTH": (2.3, "other", "other"),
    "REFU": (0.8, "british", "british"),
    "NOBT": (0.5, "british", "british"),
}

# Chance that a pupil of a forename group speaks English as an additional language.
EAL_CHANCE = {
    "british": 0.01,
    "irish": 0.0,
    "european": 0.7,
    "south_asian": 0.55,
    "black": 0.35,
    "chinese": 0.6,
    "other": 0.75,
}

GIRLS = {
    "british": """Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Grace Freya Willow Florence
        Emily Ella Poppy Evie Elsie Charlotte Evelyn Sienna Daisy Phoebe Matilda Harper Millie
        Ruby Alice Jessica Chloe Holly Erin Megan Lucy Eleanor Maisie Scarlett Hannah Imogen
        Esme Lola Aria Darcie Georgia Molly Bethany Katie Abigail Emma Summer Lacey Harriet""",
    "irish": "Niamh Orla Aoife Ciara Siobhan Saoirse Roisin Caoimhe Grace Erin Clodagh",
    "european": """Oliwia Zuzanna Maja Julia Zofia Lena Elena Ioana Maria Giulia Emilia Ana
        Sofia Alicja Natalia Bianca Karolina Viktoria Anastasia Gabriela Ines Beatriz""",
    "south_asian": """Aisha Fatima Maryam Zara Inaya Hafsa Amira Anaya Priya Diya Saanvi
        Simran Jasleen Noor Khadija Sana Riya Anika Zainab Mariam Safa Ananya Aleena Harleen
        Ayesha Alisha Sophia Hana""",
    "black": """Precious Blessing Favour Abigail Esther Chioma Adaeze Amara Imani Nia Zuri Kemi
        Ifeoluwa Tiana Aaliyah Jada Naomi Ruth Faith Hodan Ayan Deborah Temi Keziah""",
    "chinese": "Mei Xin Ling Chloe Grace Emily Yan Jia Hui Qing Vivian Angela",
    "other": """Layla Mariam Noor Yasmin Lina Sara Hana Dalia Isabela Valentina Camila Nour
        Rania Dunya Shirin Maya""",
}

BOYS = {
    "british": """Oliver George Harry Noah Jack Leo Arthur Oscar Charlie Jacob Thomas Henry
        William Freddie Alfie Theo Archie Joshua Alexander James Isaac Edward Lucas Tommy
        Finley Max Logan Ethan Mason Harrison Joseph Samuel Daniel Reuben Teddy Dylan
        Sebastian Jude Elliot Louie Riley Toby Hugo Albert Frankie Rory Ronnie Bobby Stanley
        Jaxon Caleb Harvey Kai Callum Jamie Ryan Connor Lewis Liam Owen Evan Rhys Finn Aaron""",
    "irish": "Cian Sean Conor Oisin Padraig Ronan Darragh Eoin Cillian Niall Fionn",
    "european": """Jakub Szymon Filip Mateusz Antoni Andrei Luca Alexandru Matteo Tomas Lukas
        Darius Nikola Marek Kacper Bartosz Mihai Stefan Ivan Rafael Tiago Dominik""",
    "south_asian": """Muhammad Mohammed Ibrahim Yusuf Ayaan Zayn Aarav Arjun Rohan Dev Ishaan
        Hamza Abdullah Rayyan Ali Omar Arhaan Krish Vihaan Zain Ahmed Harjot Arman Sahil
        Yahya Eesa Musa Rehan""",
    "black": """David Samuel Daniel Joshua Emmanuel Tobi Kwame Kofi Chidi Tunde Jayden Malachi
        Nathaniel Elijah Josiah Isaiah Marcus Kayden Ayodele Femi Abdi Dawit Tyrese Micah""",
    "chinese": "Wei Jun Hao Ethan Kai Jason Leo Ryan Yi Chen Bo Ming",
    "other": """Omar Yousef Karim Hassan Ahmad Adam Amir Mateo Gabriel Rafael Diego Kian
        Idris Elias Sami Reza""",
}

SURNAMES = {
    "british": """Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts
        Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke
        Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker
        Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young
        Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Miller Cox
        Richards Marshall Anderson Simpson Ellis Adams Wilkinson Foster Chapman Powell Webb
        Rogers Gray Mason Hunt Holmes Palmer Campbell Lloyd Fletcher Stewart Reid Fraser
        Hamilton Pritchard Jenkins Owen Barker Knight Lawrence Dixon Burton Atkinson""",
    "irish": """Murphy O'Brien O'Connor Doyle McCarthy Byrne Gallagher Kennedy Murray Sullivan
        Brennan Quinn Walsh Ryan O'Neill Flanagan Kavanagh Donnelly McLaughlin Fitzgerald""",
    "european": """Nowak Kowalski Wisniewski Wojcik Kaminski Lewandowski Zielinski Popescu
        Ionescu Popa Dumitru Kazlauskas Petrov Horvat Rossi Ferreira Silva Santos Costa
        Oliveira Novak Dvorak Nagy Balogh Jankowski Marin""",
    "south_asian": """Patel Khan Ahmed Hussain Ali Shah Singh Sharma Mahmood Iqbal Akhtar
        Rahman Islam Chowdhury Uddin Miah Gill Sandhu Sidhu Kumar Mistry Desai Malik Rashid
        Choudhury Sheikh Anwar Bhatti Parmar Chauhan Begum Javed Siddiqui Dhillon""",
    "black": """Okafor Adeyemi Mensah Osei Boateng Okoro Adebayo Owusu Asante Nwosu Eze
        Francis Grant Hassan Abdi Mohamed Warsame Tesfaye Bekele Banda Phiri Okonkwo Oyelaran
        Appiah Ogunleye""",
    "chinese": "Chen Wang Li Zhang Liu Wong Chan Lam Cheung Ng Lau Huang Zhou Lin Yang Tang",
    "other": """Haddad Karimi Ahmadi Rahimi Mohammadi Saleh Nasser Ibrahim Reyes Garcia
        Rodriguez Cruz Mendoza Hosseini Abbas Darwish Mansour Santos Aziz""",
}

# Adults (staff and parents) of the "british" and "irish" groups; other groups reuse
# the lists above.
ADULT_WOMEN = """Sarah Claire Emma Laura Rebecca Gemma Nicola Lisa Helen Rachel Kate Joanne
    Amy Hayley Jennifer Michelle Louise Natalie Victoria Kirsty Charlotte Zoe Lucy Fiona"""
ADULT_MEN = """David Paul Mark Andrew Richard Daniel James Christopher Matthew Stephen Lee
    Craig Darren Simon Jason Gareth Neil Ian Robert Michael Adam Thomas Jonathan Martin"""


def names(text: str) -> list[str]:
    return text.split()


GIRLS_BY_GROUP = {group: names(text) for group, text in GIRLS.items()}
BOYS_BY_GROUP = {group: names(text) for group, text in BOYS.items()}
SURNAMES_BY_GROUP = {group: names(text) for group, text in SURNAMES.items()}
ADULT_WOMEN_NAMES = names(ADULT_WOMEN)
ADULT_MEN_NAMES = names(ADULT_MEN)
