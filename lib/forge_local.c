/* forge_local: placeholder until the local (offline) forge lands; it
 * answers every open with a clear "not yet" so the other backends link. */
#include "forge_impl.h"
#include "err.h"

int da_forge_local_init(struct da_forge *f, const struct da_forge_opts *opts)
{
	(void)opts;
	f->ops = NULL;
	return da_errf(DA_EUSAGE, "the local forge is not built yet");
}
