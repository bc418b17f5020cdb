"""Lines to sing: line sources, songs (plan, rhymes, writer), the clean filter, text files."""
