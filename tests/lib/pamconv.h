/* The PAM conversation of the test and bench programs that drive the real
 * libpam (tests/pam_apikey/pamcase, bench/pam_bench, bench/revoke_load):
 * a prompt with echo off is answered with the secret; a prompt with echo
 * on (the key must never be shown) and a message (PAM_TEXT_INFO,
 * PAM_ERROR_MSG) get no answer. appdata_ptr is the
 * address of a const char * that points to the secret, read at each call:
 *     static const char *secret;  struct pam_conv c = {tl_pam_conv, &secret};  */
#ifndef AK_TESTS_PAMCONV_H
#define AK_TESTS_PAMCONV_H
#include <security/pam_appl.h>

int tl_pam_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data);
#endif
