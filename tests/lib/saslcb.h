/* The SASL callbacks of the test and bench programs that run the real
 * libsasl2 client and server in one process (tests/sasl_apikey/sasl-try,
 * bench/sasl_bench): the server's plugin directory and options, the
 * client's plugin directory, names and password. Their state is the one
 * struct tl_sasl of the process, set before sasl_server_init. */
#ifndef AK_TESTS_SASLCB_H
#define AK_TESTS_SASLCB_H
#include <sasl/sasl.h>
#include <stddef.h>

struct tl_sasl {
	const char *server_dir, *client_dir; /* SASL_CB_GETPATH of each side */
	const char *user, *authzid;          /* SASL_CB_AUTHNAME, SASL_CB_USER ("") */
	/* SASL_CB_GETOPT: "name=value" strings; when a name is given more
	 * than once the LAST one wins, so options appended after defaults
	 * override them (sasl-try's --opt). */
	const char *const *opts;
	int nopts;
	sasl_secret_t *secret; /* SASL_CB_PASS (tl_sasl_set_secret) */
};
extern struct tl_sasl tl_sasl;

/* libsasl2 stores callbacks as int (*)(void); casting through a
 * function-pointer type with no arguments keeps -Wcast-function-type quiet. */
#define TL_SASL_CB(f) ((int (*)(void))(void (*)(void))(f))

int tl_sasl_server_path(void *ctx, const char **path);
int tl_sasl_client_path(void *ctx, const char **path);
int tl_sasl_getopt(void *ctx, const char *plugname, const char *option, const char **result,
                   unsigned *len);
/* The client's list: its path, the names and the password. The server's
 * list is the program's own (a log callback or not) with the two above. */
extern sasl_callback_t tl_sasl_client_cbs[];
/* Copies the n bytes of pw into tl_sasl.secret; 0 or -1. */
int tl_sasl_set_secret(const char *pw, size_t n);
/* Wipes and frees tl_sasl.secret. */
void tl_sasl_clear_secret(void);
/* The name of a SASL_* result code. */
const char *tl_sasl_result_name(int rc);
#endif
