//! Common incident types (after the APCO common incident type list) that dispatch chooses
//! from; agencies add their own words in the incident's nature text.

/// `(code, label)` pairs, most frequent first.
pub const NATURES: &[(&str, &str)] = &[
    ("MEDICAL", "Medical emergency"),
    ("CARDIAC", "Cardiac or respiratory arrest"),
    ("BREATHING", "Breathing problem"),
    ("FALL", "Fall"),
    ("OVERDOSE", "Overdose or poisoning"),
    ("MVC", "Traffic collision"),
    ("MVC-INJ", "Traffic collision with injuries"),
    ("FIRE-STRUCT", "Structure fire"),
    ("FIRE-VEH", "Vehicle fire"),
    ("ALARM-FIRE", "Fire alarm"),
    ("GAS-LEAK", "Gas leak"),
    ("ASSAULT", "Assault"),
    ("DOMESTIC", "Domestic disturbance"),
    ("BURGLARY", "Burglary"),
    ("ROBBERY", "Robbery"),
    ("THEFT", "Theft"),
    ("SUSPICIOUS", "Suspicious person or vehicle"),
    ("WELFARE", "Welfare check"),
    ("MISSING", "Missing person"),
    ("SHOTS", "Shots fired"),
    ("WEAPON", "Person with a weapon"),
    ("RESCUE", "Rescue"),
    ("HAZMAT", "Hazardous materials"),
    ("OTHER", "Other"),
];

/// The label of a known code.
pub fn nature_label(code: &str) -> Option<&'static str> {
    NATURES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}
