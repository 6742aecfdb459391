/*
 * lang: ISO 639-1 codes and the names people write for them. The table of
 * names is the one place to add a language or a spelling; a test checks
 * that every name is written folded (utf8_fold) and maps to a known code.
 */
#include <stdlib.h>
#include <string.h>

#include "lang.h"
#include "util.h"

#define MAX_NAMES	16	/* per language; the unused ones are NULL */

/* ISO 639-1, all 183 codes. */
static const char codes[][3] = {
	"aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az",
	"ba", "be", "bg", "bh", "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce",
	"ch", "co", "cr", "cs", "cu", "cv", "cy", "da", "de", "dv", "dz", "ee",
	"el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
	"fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr",
	"ht", "hu", "hy", "hz", "ia", "id", "ie", "ig", "ii", "ik", "io", "is",
	"it", "iu", "ja", "jv", "ka", "kg", "ki", "kj", "kk", "kl", "km", "kn",
	"ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
	"lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms",
	"mt", "my", "na", "nb", "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv",
	"ny", "oc", "oj", "om", "or", "os", "pa", "pi", "pl", "ps", "pt", "qu",
	"rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk",
	"sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta",
	"te", "tg", "th", "ti", "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw",
	"ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo", "wa", "wo", "xh", "yi",
	"yo", "za", "zh", "zu",
};
#define NCODES	(sizeof(codes) / sizeof(codes[0]))

/*
 * Names in German, English and the language itself, with common spellings
 * without diacritics and the ISO 639-2 codes (bibliographic and
 * terminology). Farsi, Persian and Dari are all fa (Dari has no ISO 639-1
 * code of its own); Kurmanji and Sorani are ku.
 */
static const struct {
	const char	 code[3];
	const char	*names[MAX_NAMES];
} names[] = {
	{ "de", { "deutsch", "german", "deu", "ger" } },
	{ "en", { "englisch", "english", "eng" } },
	{ "uk", { "ukrainisch", "ukrainian", "українська",
	    "українська мова", "ukr" } },
	{ "ru", { "russisch", "russian", "русский", "русский язык", "rus" } },
	{ "ar", { "arabisch", "arabic", "العربية", "عربي", "ara" } },
	{ "fa", { "persisch", "persian", "farsi", "dari", "فارسی", "فارسي",
	    "دری", "دري", "fas", "per", "prs" } },
	{ "ps", { "paschtu", "paschto", "pashto", "pashtu", "پښتو", "pus" } },
	{ "tr", { "türkisch", "tuerkisch", "turkish", "türkçe", "turkce",
	    "tur" } },
	{ "ku", { "kurdisch", "kurdish", "kurdî", "kurdi", "kurmandschi",
	    "kurmanji", "kurmancî", "kurmanci", "sorani", "soranî", "کوردی",
	    "كوردي", "kur", "kmr", "ckb" } },
	{ "ti", { "tigrinya", "tigrinja", "tigrinisch", "ትግርኛ", "tir" } },
	{ "so", { "somali", "somalisch", "soomaali", "af-soomaali", "som" } },
	{ "fr", { "französisch", "franzoesisch", "french", "français",
	    "francais", "fra", "fre" } },
	{ "es", { "spanisch", "spanish", "español", "espanol", "castellano",
	    "spa" } },
	{ "it", { "italienisch", "italian", "italiano", "ita" } },
	{ "pl", { "polnisch", "polish", "polski", "pol" } },
	{ "ro", { "rumänisch", "rumaenisch", "romanian", "română", "romana",
	    "ron", "rum" } },
	{ "bg", { "bulgarisch", "bulgarian", "български", "bul" } },
	{ "sq", { "albanisch", "albanian", "shqip", "shqipe", "sqi", "alb" } },
	{ "sr", { "serbisch", "serbian", "српски", "srpski", "srp" } },
	{ "hr", { "kroatisch", "croatian", "hrvatski", "hrv" } },
	{ "bs", { "bosnisch", "bosnian", "bosanski", "bos" } },
	{ "el", { "griechisch", "greek", "ελληνικά", "ελληνικα", "ell",
	    "gre" } },
	{ "vi", { "vietnamesisch", "vietnamese", "tiếng việt", "tieng viet",
	    "vie" } },
	{ "zh", { "chinesisch", "chinese", "mandarin", "kantonesisch",
	    "cantonese", "中文", "汉语", "漢語", "普通话", "zho", "chi" } },
	{ "hi", { "hindi", "हिन्दी", "हिंदी", "hin" } },
	{ "ur", { "urdu", "اردو", "urd" } },
	{ "am", { "amharisch", "amharic", "አማርኛ", "amh" } },
	{ "pt", { "portugiesisch", "portuguese", "português", "portugues",
	    "por" } },
	{ "nl", { "niederländisch", "niederlaendisch", "holländisch",
	    "dutch", "nederlands", "nld", "dut" } },
	{ "hu", { "ungarisch", "hungarian", "magyar", "hun" } },
	{ "cs", { "tschechisch", "czech", "čeština", "cestina", "ces",
	    "cze" } },
	{ "sk", { "slowakisch", "slovak", "slovenčina", "slovencina", "slk",
	    "slo" } },
	{ "sl", { "slowenisch", "slovenian", "slovene", "slovenščina",
	    "slovenscina", "slv" } },
	{ "mk", { "mazedonisch", "makedonisch", "macedonian", "македонски",
	    "mkd", "mac" } },
	{ "ka", { "georgisch", "georgian", "ქართული", "kat", "geo" } },
	{ "hy", { "armenisch", "armenian", "հայերեն", "hye", "arm" } },
	{ "az", { "aserbaidschanisch", "azerbaijani", "azeri",
	    "azərbaycan dili", "azərbaycanca", "aze" } },
	{ "be", { "belarussisch", "weißrussisch", "weissrussisch",
	    "belarusian", "беларуская", "bel" } },
	{ "lt", { "litauisch", "lithuanian", "lietuvių", "lit" } },
	{ "lv", { "lettisch", "latvian", "latviešu", "lav" } },
	{ "et", { "estnisch", "estonian", "eesti", "est" } },
	{ "he", { "hebräisch", "hebraeisch", "hebrew", "עברית", "heb" } },
	{ "bn", { "bengalisch", "bengali", "bangla", "বাংলা", "ben" } },
	{ "ta", { "tamilisch", "tamil", "தமிழ்", "tam" } },
	{ "pa", { "pandschabi", "punjabi", "panjabi", "ਪੰਜਾਬੀ", "پنجابی",
	    "pan" } },
	{ "ne", { "nepalesisch", "nepali", "नेपाली", "nep" } },
	{ "uz", { "usbekisch", "uzbek", "oʻzbek", "o'zbek", "uzb" } },
	{ "sw", { "suaheli", "swahili", "kiswahili", "swa" } },
	{ "ha", { "hausa", "hau" } },
	{ "yo", { "yoruba", "yorùbá", "yor" } },
	{ "ig", { "igbo", "ibo" } },
	{ "ja", { "japanisch", "japanese", "日本語", "jpn" } },
	{ "ko", { "koreanisch", "korean", "한국어", "kor" } },
	{ "th", { "thailändisch", "thai", "ไทย", "tha" } },
	{ "sv", { "schwedisch", "swedish", "svenska", "swe" } },
	{ "da", { "dänisch", "daenisch", "danish", "dansk", "dan" } },
	{ "no", { "norwegisch", "norwegian", "norsk", "nor" } },
	{ "fi", { "finnisch", "finnish", "suomi", "fin" } },
};
#define NNAMES	(sizeof(names) / sizeof(names[0]))

/* The entry of codes[] equal to the two bytes at s, or NULL. */
static const char *
find_code(const char *s)
{
	size_t i;

	for (i = 0; i < NCODES; i++)
		if (codes[i][0] == s[0] && codes[i][1] == s[1])
			return codes[i];
	return NULL;
}

int
lang_valid(const char *code)
{
	return strlen(code) == 2 && find_code(code) != NULL;
}

static int
is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* text without white space at both ends and with each inner run of it
 * (also U+00A0) made one space, folded. Caller frees. */
static char *
normalise(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	struct buf b;
	int space = 0;
	char *folded;

	buf_init(&b);
	buf_reserve(&b, strlen(text));
	while (*p != '\0') {
		if (is_space(*p) || (p[0] == 0xc2 && p[1] == 0xa0)) {
			space = b.len > 0;
			p += *p == 0xc2 ? 2 : 1;
			continue;
		}
		if (space)
			buf_putc(&b, ' ');
		space = 0;
		buf_putc(&b, (char)*p++);
	}
	folded = utf8_fold(b.data);
	buf_free(&b);
	return folded;
}

/* "de-DE", "pt_BR", "zh-Hans", "es-419": a code, '-' or '_', and a region
 * or script subtag of 2 to 4 letters or digits. */
static const char *
code_with_subtag(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 5 || n > 7 || (s[2] != '-' && s[2] != '_'))
		return NULL;
	for (i = 3; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9')))
			return NULL;
	return find_code(s);
}

const char *
lang_from_text(const char *text)
{
	char *s = normalise(text);
	const char *code = NULL;
	size_t i, j;

	if (strlen(s) == 2)
		code = find_code(s);
	for (i = 0; code == NULL && i < NNAMES; i++)
		for (j = 0; j < MAX_NAMES && names[i].names[j] != NULL; j++)
			if (strcmp(s, names[i].names[j]) == 0) {
				code = names[i].code;
				break;
			}
	if (code == NULL)
		code = code_with_subtag(s);
	free(s);
	return code;
}

const char *
lang_hint(void)
{
	return "an ISO 639-1 code (de, en, uk, ar, fa …) or the language's "
	    "name in German, English or itself (Deutsch, English, "
	    "Українська …)";
}
