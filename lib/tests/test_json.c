/* SPDX-License-Identifier: GPL-2.0-only */
/* json.c: structure, commas, escaping, invalid UTF-8. */
#include <string.h>

#include "lib/json.h"
#include "lib/mac.h"
#include "lib/sbuf.h"
#include "lib/check.h"

static void expect_escape(const char *in, const char *want, int line)
{
    struct sbuf b;

    sbuf_init(&b);
    json_escape(&b, in);
    if (strcmp(sbuf_str(&b), want) != 0) {
        printf("%s:%d: escape: got %s want %s\n", __FILE__, line, sbuf_str(&b), want);
        check_failures++;
    }
    sbuf_free(&b);
}

static void test_escape(void)
{
    expect_escape("plain", "\"plain\"", __LINE__);
    expect_escape("a\"b\\c", "\"a\\\"b\\\\c\"", __LINE__);
    expect_escape("l1\nl2\tx\r", "\"l1\\nl2\\tx\\r\"", __LINE__);
    expect_escape("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"", __LINE__);
    expect_escape("\b\f", "\"\\b\\f\"", __LINE__);
    expect_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", __LINE__);
    /* invalid UTF-8: lone continuation, truncated sequence, overlong, surrogate */
    expect_escape("a\x80z", "\"a\\ufffdz\"", __LINE__);
    expect_escape("a\xc3", "\"a\\ufffd\"", __LINE__);
    expect_escape("\xc0\xaf", "\"\\ufffd\\ufffd\"", __LINE__);
    expect_escape("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", __LINE__);
    expect_escape("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", __LINE__);
    expect_escape("", "\"\"", __LINE__);
}

static void test_structure(void)
{
    struct sbuf b;
    struct json j;

    sbuf_init(&b);
    json_init(&j, &b);
    json_obj_begin(&j);
    json_kstr(&j, "name", "host-a");
    json_ku64(&j, "n", 18446744073709551615ull);
    json_key(&j, "list");
    json_arr_begin(&j);
    json_str(&j, "x");
    json_i64(&j, -5);
    json_null(&j);
    json_bool(&j, true);
    json_obj_begin(&j);
    json_obj_end(&j);
    json_arr_begin(&j);
    json_arr_end(&j);
    json_arr_end(&j);
    json_kstr(&j, "none", NULL);
    json_key(&j, "d");
    json_double(&j, 1.5);
    json_obj_end(&j);
    CHECK(!j.failed && j.depth == 0);
    CHECK(strcmp(sbuf_str(&b), "{\"name\":\"host-a\",\"n\":18446744073709551615,"
                               "\"list\":[\"x\",-5,null,true,{},[]],\"none\":null,"
                               "\"d\":1.500}") == 0);
    if (strcmp(sbuf_str(&b), "") == 0 || check_failures)
        printf("got: %s\n", sbuf_str(&b));
    /* unbalanced close is flagged, not crashed */
    json_obj_end(&j);
    CHECK(j.failed);
    sbuf_free(&b);
}

static void test_depth(void)
{
    struct sbuf b;
    struct json j;

    sbuf_init(&b);
    json_init(&j, &b);
    for (int i = 0; i < JSON_MAX_DEPTH + 5; i++)
        json_arr_begin(&j);
    CHECK(j.failed && j.depth == JSON_MAX_DEPTH);
    sbuf_free(&b);
}

static void test_mac(void)
{
    uint8_t m[6];
    char s[MAC_STR_LEN + 1];

    CHECK(mac_parse("52:54:00:AB:cd:0F", m) == 0);
    mac_format(m, s);
    CHECK(strcmp(s, "52:54:00:ab:cd:0f") == 0);
    CHECK(mac_is_guest(m));
    CHECK(mac_parse("52:54:00:ab:cd", m) < 0);
    CHECK(mac_parse("52:54:00:ab:cd:0f:", m) < 0);
    CHECK(mac_parse("52-54-00-ab-cd-0f", m) < 0);
    CHECK(mac_parse("5:54:00:ab:cd:0f", m) < 0);
    CHECK(mac_parse("", m) < 0);
    CHECK(mac_parse("01:00:5e:00:00:01", m) == 0 && !mac_is_guest(m));
    CHECK(mac_parse("00:00:00:00:00:00", m) == 0 && !mac_is_guest(m));
}

int main(void)
{
    test_escape();
    test_structure();
    test_depth();
    test_mac();
    return CHECK_DONE();
}
