/* The PAM conversation (pamconv.h). */
#include <stdlib.h>
#include <string.h>

#include "pamconv.h"

int tl_pam_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	const char *const *secret = data;
	struct pam_response *r;
	int i;

	if (secret == NULL || *secret == NULL)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			r[i].resp = strdup(*secret);
	*resp = r;
	return PAM_SUCCESS;
}
