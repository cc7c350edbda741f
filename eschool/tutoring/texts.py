"""What one side of evening tutoring writes to the other, as it is stored and shown."""

from eschool.safety.services import filter_text, mask_contacts


def clean_text(text: str) -> str:
    """`text` with the district's sensitive words replaced by ＊ and contact details (mobile
    numbers, messaging ids) masked: teachers and students meet only through the platform."""
    return mask_contacts(filter_text(text)[0])
