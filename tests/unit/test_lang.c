/* Unit tests for lang (ISO 639-1 codes and language names) and for
 * utf8_fold(), which it compares names with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../daemon/lang.c"

static void
assert_fold(const char *in, const char *want)
{
	char *got = utf8_fold(in);

	assert_string_equal(got, want);
	free(got);
}

static void
test_fold(void **state)
{
	(void)state;
	assert_fold("Deutsch", "deutsch");
	assert_fold("\xc3\x84RGER \xc3\x97 \xc3\x9e", "\xc3\xa4rger \xc3\x97 "
	    "\xc3\xbe");				/* Ä × Þ */
	assert_fold("\xc5\xb8 \xc4\xb0 \xc4\x8c \xc5\x81 \xc5\xbd",
	    "\xc3\xbf i \xc4\x8d \xc5\x82 \xc5\xbe");	/* Ÿ İ Č Ł Ž */
	assert_fold("ROM\xc3\x82N\xc4\x82 \xc8\x98 \xc8\x9a",
	    "rom\xc3\xa2n\xc4\x83 \xc8\x99 \xc8\x9b");	/* ROMÂNĂ Ș Ț */
	assert_fold("TI\xe1\xba\xbeNG VI\xe1\xbb\x86T",
	    "ti\xe1\xba\xbfng vi\xe1\xbb\x87t");	/* TIẾNG VIỆT */
	assert_fold("\xce\x95\xce\x9b\xce\x9b\xce\x97\xce\x9d\xce\x99\xce\x9a"
	    "\xce\x86", "\xce\xb5\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba"
	    "\xce\xac");				/* ΕΛΛΗΝΙΚΆ */
	assert_fold("\xce\xa3\xcf\x82", "\xcf\x83\xcf\x83");	/* Σς */
	assert_fold("\xd0\xa3\xd0\x9a\xd0\xa0\xd0\x90\xd0\x87\xd0\x9d\xd0\xa1"
	    "\xd0\xac\xd0\x9a\xd0\x90 \xd2\x90 \xd0\x81",
	    "\xd1\x83\xd0\xba\xd1\x80\xd0\xb0\xd1\x97\xd0\xbd\xd1\x81\xd1\x8c"
	    "\xd0\xba\xd0\xb0 \xd2\x91 \xd1\x91");	/* УКРАЇНСЬКА Ґ Ё */
	assert_fold("\xd5\x80\xd4\xb1\xd5\x85", "\xd5\xb0\xd5\xa1\xd5\xb5");
							/* ՀԱՅ */
	/* other scripts, invalid bytes and already folded text stay */
	assert_fold("\xe4\xb8\xad\xe6\x96\x87 \xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a",
	    "\xe4\xb8\xad\xe6\x96\x87 \xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a");
	assert_fold("A\xff" "B\xc3", "a\xff" "b\xc3");
	assert_fold("", "");
}

/* Every name is written folded, belongs to a valid code and to one
 * language only; no language has more names than MAX_NAMES - 1. */
static void
test_table(void **state)
{
	size_t i, j, k, l, n = 0;
	char *f;

	(void)state;
	for (i = 0; i < NNAMES; i++) {
		assert_true(lang_valid(names[i].code));
		assert_null(names[i].names[MAX_NAMES - 1]);
		for (j = 0; names[i].names[j] != NULL; j++, n++) {
			f = utf8_fold(names[i].names[j]);
			if (strcmp(f, names[i].names[j]) != 0)
				fail_msg("\"%s\" is not folded", f);
			free(f);
			assert_string_equal(lang_from_text(names[i].names[j]),
			    names[i].code);
			for (k = 0; k <= i; k++)
				for (l = 0; names[k].names[l] != NULL &&
				    (k < i || l < j); l++)
					if (strcmp(names[k].names[l],
					    names[i].names[j]) == 0)
						fail_msg("\"%s\" twice",
						    names[k].names[l]);
		}
		for (k = 0; k < i; k++)
			if (strcmp(names[k].code, names[i].code) == 0)
				fail_msg("%s twice", names[i].code);
	}
	assert_true(n > 200);
}

static void
test_codes(void **state)
{
	(void)state;
	assert_true(lang_valid("de"));
	assert_true(lang_valid("uk"));
	assert_true(lang_valid("zu"));
	assert_true(lang_valid("aa"));
	assert_false(lang_valid("DE"));
	assert_false(lang_valid("xx"));
	assert_false(lang_valid("deu"));
	assert_false(lang_valid("d"));
	assert_false(lang_valid(""));
	assert_string_equal(lang_from_text("de"), "de");
	assert_string_equal(lang_from_text("DE"), "de");
	assert_string_equal(lang_from_text(" Uk\t"), "uk");
	assert_string_equal(lang_from_text("de-DE"), "de");
	assert_string_equal(lang_from_text("pt_BR"), "pt");
	assert_string_equal(lang_from_text("zh-Hans"), "zh");
	assert_string_equal(lang_from_text("deu"), "de");
	assert_string_equal(lang_from_text("GER"), "de");
	assert_string_equal(lang_from_text("ukr"), "uk");
	assert_null(lang_from_text("xx"));
	assert_null(lang_from_text("xx-DE"));
	assert_null(lang_from_text("de-"));
	assert_null(lang_from_text("de-D!"));
	assert_null(lang_from_text("d"));
	assert_null(lang_from_text(""));
	assert_null(lang_from_text("  "));
}

/* What a coordinator writes in the language column, and what it means. */
static void
test_names(void **state)
{
	static const char *const cases[][2] = {
		{ "Deutsch", "de" }, { "DEUTSCH", "de" }, { "German", "de" },
		{ " deutsch\xc2\xa0", "de" },
		{ "Englisch", "en" }, { "English", "en" },
		{ "Ukrainisch", "uk" }, { "Ukrainian", "uk" },
		{ "\xd0\xa3\xd0\xba\xd1\x80\xd0\xb0\xd1\x97\xd0\xbd\xd1\x81\xd1\x8c"
		    "\xd0\xba\xd0\xb0", "uk" },			/* Українська */
		{ "\xd0\xa3\xd0\x9a\xd0\xa0\xd0\x90\xd0\x87\xd0\x9d\xd0\xa1\xd0\xac"
		    "\xd0\x9a\xd0\x90", "uk" },			/* УКРАЇНСЬКА */
		{ "Russisch", "ru" },
		{ "\xd0\xa0\xd1\x83\xd1\x81\xd1\x81\xd0\xba\xd0\xb8\xd0\xb9",
		    "ru" },					/* Русский */
		{ "Arabisch", "ar" }, { "Arabic", "ar" },
		{ "\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\xa9",
		    "ar" },					/* العربية */
		{ "Farsi", "fa" }, { "Persisch", "fa" }, { "Dari", "fa" },
		{ "\xd9\x81\xd8\xa7\xd8\xb1\xd8\xb3\xdb\x8c", "fa" },	/* فارسی */
		{ "Paschtu", "ps" }, { "Pashto", "ps" },
		{ "T\xc3\xbcrkisch", "tr" }, { "T\xc3\x9cRK\xc3\x87" "E", "tr" },
		{ "Kurdisch", "ku" }, { "Kurmanji", "ku" }, { "Sorani", "ku" },
		{ "Tigrinya", "ti" }, { "\xe1\x89\xb5\xe1\x8c\x8d\xe1\x88\xad"
		    "\xe1\x8a\x9b", "ti" },			/* ትግርኛ */
		{ "Somali", "so" }, { "Somalisch", "so" },
		{ "Franz\xc3\xb6sisch", "fr" }, { "FRAN\xc3\x87" "AIS", "fr" },
		{ "Spanisch", "es" }, { "Espa\xc3\xb1ol", "es" },
		{ "Italienisch", "it" }, { "Polnisch", "pl" }, { "Polski", "pl" },
		{ "Rum\xc3\xa4nisch", "ro" }, { "ROM\xc3\x82N\xc4\x82", "ro" },
		{ "Bulgarisch", "bg" },
		{ "\xd0\x91\xd0\xaa\xd0\x9b\xd0\x93\xd0\x90\xd0\xa0\xd0\xa1\xd0\x9a"
		    "\xd0\x98", "bg" },				/* БЪЛГАРСКИ */
		{ "Albanisch", "sq" }, { "Shqip", "sq" },
		{ "Serbisch", "sr" }, { "\xd0\xa1\xd1\x80\xd0\xbf\xd1\x81\xd0\xba"
		    "\xd0\xb8", "sr" },				/* Српски */
		{ "Kroatisch", "hr" }, { "Bosnisch", "bs" },
		{ "Griechisch", "el" },
		{ "\xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac",
		    "el" },					/* Ελληνικά */
		{ "\xce\x95\xce\x9b\xce\x9b\xce\x97\xce\x9d\xce\x99\xce\x9a\xce\x91",
		    "el" },					/* ΕΛΛΗΝΙΚΑ */
		{ "Vietnamesisch", "vi" },
		{ "Ti\xe1\xba\xbfng  Vi\xe1\xbb\x87t", "vi" },	/* Tiếng  Việt */
		{ "Chinesisch", "zh" }, { "\xe4\xb8\xad\xe6\x96\x87", "zh" },
		{ "Hindi", "hi" }, { "Urdu", "ur" },
		{ "\xd8\xa7\xd8\xb1\xd8\xaf\xd9\x88", "ur" },	/* اردو */
		{ "Amharisch", "am" },
		{ "\xe1\x8a\xa0\xe1\x88\x9b\xe1\x88\xad\xe1\x8a\x9b", "am" },
								/* አማርኛ */
		{ "Portugiesisch", "pt" }, { "Georgisch", "ka" },
	};
	size_t i;
	const char *got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = lang_from_text(cases[i][0]);
		if (got == NULL || strcmp(got, cases[i][1]) != 0)
			fail_msg("\"%s\": want %s, got %s", cases[i][0],
			    cases[i][1], got ? got : "NULL");
	}
	assert_null(lang_from_text("Klingonisch"));
	assert_null(lang_from_text("Deutsch, Englisch"));
	assert_null(lang_from_text("Deutsch!"));
	assert_null(lang_from_text("Deutschland"));
	assert_non_null(strstr(lang_hint(), "ISO 639-1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
