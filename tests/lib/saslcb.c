/* The SASL callbacks (saslcb.h). */
#include <stdlib.h>
#include <string.h>

#include "saslcb.h"

struct tl_sasl tl_sasl = {NULL, NULL, NULL, "", NULL, 0, NULL};

int tl_sasl_server_path(void *ctx, const char **path)
{
	(void)ctx;
	*path = tl_sasl.server_dir;
	return SASL_OK;
}

int tl_sasl_client_path(void *ctx, const char **path)
{
	(void)ctx;
	*path = tl_sasl.client_dir;
	return SASL_OK;
}

int tl_sasl_getopt(void *ctx, const char *plugname, const char *option, const char **result,
                   unsigned *len)
{
	size_t n = strlen(option);
	int i;

	(void)ctx;
	(void)plugname;
	for (i = tl_sasl.nopts - 1; i >= 0; i--)
		if (strncmp(tl_sasl.opts[i], option, n) == 0 && tl_sasl.opts[i][n] == '=') {
			*result = tl_sasl.opts[i] + n + 1;
			if (len)
				*len = (unsigned)strlen(*result);
			return SASL_OK;
		}
	return SASL_FAIL;
}

static int simple(void *ctx, int id, const char **result, unsigned *len)
{
	(void)ctx;
	if (id != SASL_CB_AUTHNAME && id != SASL_CB_USER)
		return SASL_BADPARAM;
	*result = id == SASL_CB_USER ? tl_sasl.authzid : tl_sasl.user;
	if (len)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

static int getsecret(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **out)
{
	(void)conn;
	(void)ctx;
	(void)id;
	*out = tl_sasl.secret;
	return SASL_OK;
}

sasl_callback_t tl_sasl_client_cbs[] = {
        {SASL_CB_GETPATH, TL_SASL_CB(tl_sasl_client_path), NULL},
        {SASL_CB_AUTHNAME, TL_SASL_CB(simple), NULL},
        {SASL_CB_USER, TL_SASL_CB(simple), NULL},
        {SASL_CB_PASS, TL_SASL_CB(getsecret), NULL},
        {SASL_CB_LIST_END, NULL, NULL},
};

int tl_sasl_set_secret(const char *pw, size_t n)
{
	tl_sasl_clear_secret();
	tl_sasl.secret = calloc(1, sizeof(*tl_sasl.secret) + n + 1);
	if (tl_sasl.secret == NULL)
		return -1;
	tl_sasl.secret->len = n;
	memcpy(tl_sasl.secret->data, pw, n);
	return 0;
}

void tl_sasl_clear_secret(void)
{
	if (tl_sasl.secret == NULL)
		return;
	explicit_bzero(tl_sasl.secret->data, tl_sasl.secret->len);
	free(tl_sasl.secret);
	tl_sasl.secret = NULL;
}

const char *tl_sasl_result_name(int rc)
{
	switch (rc) {
	case SASL_OK:
		return "SASL_OK";
	case SASL_CONTINUE:
		return "SASL_CONTINUE";
	case SASL_FAIL:
		return "SASL_FAIL";
	case SASL_NOMEM:
		return "SASL_NOMEM";
	case SASL_BUFOVER:
		return "SASL_BUFOVER";
	case SASL_NOMECH:
		return "SASL_NOMECH";
	case SASL_BADPROT:
		return "SASL_BADPROT";
	case SASL_NOTDONE:
		return "SASL_NOTDONE";
	case SASL_BADPARAM:
		return "SASL_BADPARAM";
	case SASL_TRYAGAIN:
		return "SASL_TRYAGAIN";
	case SASL_BADMAC:
		return "SASL_BADMAC";
	case SASL_NOTINIT:
		return "SASL_NOTINIT";
	case SASL_INTERACT:
		return "SASL_INTERACT";
	case SASL_BADSERV:
		return "SASL_BADSERV";
	case SASL_WRONGMECH:
		return "SASL_WRONGMECH";
	case SASL_BADAUTH:
		return "SASL_BADAUTH";
	case SASL_NOAUTHZ:
		return "SASL_NOAUTHZ";
	case SASL_TOOWEAK:
		return "SASL_TOOWEAK";
	case SASL_ENCRYPT:
		return "SASL_ENCRYPT";
	case SASL_TRANS:
		return "SASL_TRANS";
	case SASL_EXPIRED:
		return "SASL_EXPIRED";
	case SASL_DISABLED:
		return "SASL_DISABLED";
	case SASL_NOUSER:
		return "SASL_NOUSER";
	case SASL_BADVERS:
		return "SASL_BADVERS";
	case SASL_UNAVAIL:
		return "SASL_UNAVAIL";
	case SASL_NOVERIFY:
		return "SASL_NOVERIFY";
	case SASL_PWLOCK:
		return "SASL_PWLOCK";
	case SASL_NOCHANGE:
		return "SASL_NOCHANGE";
	case SASL_WEAKPASS:
		return "SASL_WEAKPASS";
	case SASL_NOUSERPASS:
		return "SASL_NOUSERPASS";
	case SASL_NEED_OLD_PASSWD:
		return "SASL_NEED_OLD_PASSWD";
	case SASL_CONSTRAINT_VIOLAT:
		return "SASL_CONSTRAINT_VIOLAT";
	case SASL_BADBINDING:
		return "SASL_BADBINDING";
	default:
		return "SASL_UNKNOWN";
	}
}
