"""The tables of bench/callers.py: what a prompt asks (INTENTS), the menu option a caller wants
(CHOICES) and what a caller says instead of pressing (SAID), in each language."""

from __future__ import annotations

# (intent, keywords per language); the first intent with a keyword in the prompt wins, so the
# more specific come first. Keywords are lower case and matched on word boundaries.
INTENTS: list[tuple[str, dict[str, tuple[str, ...]]]] = [
    # the problem, asked first (with keys for a ticket's status or a new place), or again
    ("problem", {"en-US": ("what is the problem", "what is wrong", "own words"),
                 "it-IT": ("qual è il problema", "cosa non va", "parole sue"),
                 "ms-MY": ("terangkan masalah", "apakah masalahnya")}),
    # the language menu (after the first question: a caller from a country of a language is
    # offered the others there, "For English, press 7")
    ("language", {"*": ("for english", "per l'italiano", "bahasa melayu")}),
    # a self-service answer offered after the type of service (issue 16): callers open a ticket
    # (or asked, to a caller who said the problem: "Would you like to reset your password
    # yourself?")
    ("known_issue", {"en-US": ("to open a ticket", "yourself"),
                     "it-IT": ("per aprire un ticket", "da solo"),
                     "ms-MY": ("untuk membuka tiket", "sendiri")}),
    # after a ticket (before "pick": "Calls about your ticket go to ...")
    ("another_problem", {"en-US": ("another problem",), "it-IT": ("altro problema",),
                         "ms-MY": ("masalah lain",)}),
    # a known caller: the place on file confirmed, the equipment on file picked by key
    ("location_confirm", {"en-US": ("still at",), "it-IT": ("ancora in",),
                          "ms-MY": ("masih di",)}),
    ("pick", {"en-US": ("about your", "about other", "other equipment", "other software"),
              "it-IT": ("per il suo", "un'altra apparecchiatura", "un altro software"),
              "ms-MY": ("peralatan lain", "perisian lain")}),
    # the type of service guessed from the problem, to confirm or refuse
    ("guess", {"en-US": ("sounds like",), "it-IT": ("sembra",), "ms-MY": ("kedengaran",)}),
    ("confirm", {"en-US": ("if that is right", "is that right", "if right"),
                 "it-IT": ("se è corretto", "è giusto"),
                 "ms-MY": ("jika betul",)}),
    ("hold_offer", {"en-US": ("to hold",), "it-IT": ("restare in attesa",),
                    "ms-MY": ("terus menunggu",)}),
    ("offline", {"en-US": ("no analyst is available", "closed right now"),
                 "it-IT": ("nessun tecnico", "nessun analista", "è chiuso"),
                 "ms-MY": ("tiada juruanalisis", "tiada penganalisis", "kini ditutup")}),
    ("callback_window", {"en-US": ("as soon as an analyst is free",),
                         "it-IT": ("appena un tecnico", "appena un analista"),
                         "ms-MY": ("sebaik sahaja",)}),
    # ... or the one moment offered, when the number may not be called yet ("To be called
    # back today at 9:00 AM, press 1") or the desk is closed
    ("callback_at", {"en-US": ("to be called back",), "it-IT": ("per essere richiamato",),
                     "ms-MY": ("untuk dihubungi semula",)}),
    ("callback_key", {"en-US": ("number we should call", "callback number"),
                      "it-IT": ("numero al quale", "numero da richiamare"),
                      "ms-MY": ("nombor untuk kami",)}),
    ("callback_menu", {"en-US": ("call you back on",),
                       "it-IT": ("richiamarla al numero", "la richiamiamo"),
                       "ms-MY": ("menghubungi anda semula di nombor",
                                 "hubungi anda semula di")}),
    ("new_problem", {"en-US": ("new problem",), "it-IT": ("nuovo problema",),
                     "ms-MY": ("masalah baharu",)}),
    ("account", {"en-US": ("account number",), "it-IT": ("conto cliente", "suo conto"),
                 "ms-MY": ("nombor akaun",)}),
    ("service_type", {"en-US": ("type of service",), "it-IT": ("tipo di servizio",),
                      "ms-MY": ("jenis perkhidmatan",)}),
    ("location", {"en-US": ("building", "where is"), "it-IT": ("edificio", "dove si trova"),
                  "ms-MY": ("bangunan", "di manakah")}),
    ("licence", {"en-US": ("licence", "license"), "it-IT": ("licenza",), "ms-MY": ("lesen",)}),
    ("equipment", {"en-US": ("model", "asset tag"), "it-IT": ("modello", "inventario"),
                   "ms-MY": ("model peralatan", "tag aset", "tag asetnya", "modelnya")}),
    ("configuration", {"en-US": ("configuration",), "it-IT": ("configurazione",),
                       "ms-MY": ("konfigurasi", "konfigurasinya")}),
    ("impact", {"en-US": ("who is affected",), "it-IT": ("chi è interessato",),
                "ms-MY": ("siapakah yang terjejas",)}),
    ("urgency", {"en-US": ("still work", "can you work"), "it-IT": ("ancora a lavorare",),
                 "ms-MY": ("masih boleh bekerja",)}),
    ("planned", {"en-US": ("planned event", "scheduled change"),
                 "it-IT": ("evento pianificato", "modifica programmata"),
                 "ms-MY": ("peristiwa yang dirancang", "perubahan berjadual")}),
    ("before", {"en-US": ("doing when",), "it-IT": ("stava facendo",),
                "ms-MY": ("sedang anda lakukan",)}),
    ("department", {"en-US": ("department",), "it-IT": ("reparto",), "ms-MY": ("jabatan",)}),
    ("name", {"en-US": ("name",), "it-IT": ("nome",), "ms-MY": ("nama",)}),
]

# The menu option a caller wants, by the words of its description ("If not, press 2").
CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "lang:en-US": {"*": ("english",)},
    "lang:it-IT": {"*": ("italiano",)},
    "lang:ms-MY": {"*": ("melayu",)},
    "yes": {"en-US": ("if that is right", "if so", "if yes", "yes", "right"),
            "it-IT": ("se è corretto", "se sì", "sì", "corretto"),
            "ms-MY": ("jika betul", "jika ya", "ya", "betul")},
    "no": {"en-US": ("if not", "no"), "it-IT": ("se no", "no"),
           "ms-MY": ("jika tidak", "tidak")},
    "new_problem": {"en-US": ("new problem",), "it-IT": ("nuovo problema",),
                    "ms-MY": ("masalah baharu",)},
    "hardware": {"en-US": ("hardware",), "it-IT": ("hardware",), "ms-MY": ("perkakasan",)},
    "software": {"en-US": ("software",), "it-IT": ("software",), "ms-MY": ("perisian",)},
    "network": {"en-US": ("network",), "it-IT": ("rete",), "ms-MY": ("rangkaian",)},
    "access": {"en-US": ("access",), "it-IT": ("accessi", "accesso"), "ms-MY": ("akses",)},
    "other": {"en-US": ("anything else", "something else"),
              "it-IT": ("qualsiasi altra", "altro"), "ms-MY": ("perkara lain",)},
    "me": {"en-US": ("just you", "only you"), "it-IT": ("solo lei",),
           "ms-MY": ("hanya anda",)},
    "team": {"en-US": ("team",), "it-IT": ("team",), "ms-MY": ("pasukan",)},
    "organisation": {"en-US": ("organisation", "organization", "everyone"),
                     "it-IT": ("organizzazione", "tutti"), "ms-MY": ("organisasi", "semua orang")},
    "works": {"en-US": ("normally",), "it-IT": ("normalmente",), "ms-MY": ("seperti biasa",)},
    "impaired": {"en-US": ("difficulty",), "it-IT": ("difficoltà",), "ms-MY": ("kesukaran",)},
    "blocked": {"en-US": ("cannot", "not at all", "not working"),
                "it-IT": ("non può", "affatto", "per niente", "non riesce"),
                "ms-MY": ("langsung tidak", "tidak boleh")},
    "hold": {"en-US": ("to hold",), "it-IT": ("restare in attesa",),
             "ms-MY": ("terus menunggu",)},
    "callback": {"en-US": ("call you back",), "it-IT": ("richiamato",),
                 "ms-MY": ("menghubungi anda semula", "dihubungi semula")},
    "asap": {"en-US": ("as soon as",), "it-IT": ("appena",), "ms-MY": ("sebaik sahaja",)},
    "callback_at": {"en-US": ("called back",), "it-IT": ("richiamato",),
                    "ms-MY": ("dihubungi semula",)},
    "open_ticket": {"en-US": ("to open a ticket",), "it-IT": ("per aprire un ticket",),
                    "ms-MY": ("untuk membuka tiket",)},
    "planned": {"en-US": ("scheduled change",), "it-IT": ("modifica programmata",),
                "ms-MY": ("perubahan berjadual",)},
    "another_service": {"en-US": ("another type of service",),
                        "it-IT": ("altro servizio", "un altro tipo di servizio"),
                        "ms-MY": ("jenis perkhidmatan lain",)},
    "refuse_guess": {"en-US": ("to choose",), "it-IT": ("per scegliere",),
                     "ms-MY": ("untuk memilih",)},
    "say_other": {"en-US": ("say which", "or other equipment"),
                  "it-IT": ("la nomini", "o un'altra apparecchiatura"),
                  "ms-MY": ("sebutkan", "atau peralatan lain")},
    "other_item": {"en-US": ("other equipment", "other software"),
                   "it-IT": ("un'altra apparecchiatura", "un altro software"),
                   "ms-MY": ("peralatan lain", "perisian lain")},
}

# What a caller says instead of pressing, where the line listens for speech.
SAID: dict[str, dict[str, str]] = {
    "yes": {"en-US": "yes", "it-IT": "sì", "ms-MY": "ya"},
    "no": {"en-US": "no", "it-IT": "no", "ms-MY": "tidak"},
    "hardware": {"en-US": "the printer", "it-IT": "la stampante", "ms-MY": "pencetak"},
    "software": {"en-US": "software", "it-IT": "software", "ms-MY": "perisian"},
    "network": {"en-US": "the network", "it-IT": "la rete", "ms-MY": "rangkaian"},
    "access": {"en-US": "my password", "it-IT": "la password", "ms-MY": "kata laluan"},
    "other": {"en-US": "something else", "it-IT": "qualcos'altro", "ms-MY": "perkara lain"},
    "open_ticket": {"en-US": "open a ticket", "it-IT": "aprire un ticket",
                    "ms-MY": "buka tiket"},
    "planned": {"en-US": "a scheduled change", "it-IT": "una modifica programmata",
                "ms-MY": "perubahan berjadual"},
    "me": {"en-US": "just me", "it-IT": "solo io", "ms-MY": "saya sahaja"},
    "team": {"en-US": "my team", "it-IT": "il mio team", "ms-MY": "pasukan saya"},
    "organisation": {"en-US": "the whole organisation", "it-IT": "tutta l'azienda",
                     "ms-MY": "seluruh organisasi"},
    "works": {"en-US": "normally", "it-IT": "normalmente", "ms-MY": "seperti biasa"},
    "impaired": {"en-US": "with difficulty", "it-IT": "con difficoltà",
                 "ms-MY": "dengan kesukaran"},
    "blocked": {"en-US": "I cannot work at all", "it-IT": "non posso lavorare affatto",
                "ms-MY": "langsung tidak boleh bekerja"},
}

# A problem question that asks what the caller was doing too (one spoken answer for both).
DOING_ASKED = {"en-US": ("doing when",), "it-IT": ("stava facendo",),
               "ms-MY": ("anda lakukan",)}

# An impact question that asks whether the caller can work too (one spoken answer for both).
BOTH_ASKED = {"en-US": ("can you work",), "it-IT": ("riesce a lavorare",),
              "ms-MY": ("bolehkah anda bekerja",)}
