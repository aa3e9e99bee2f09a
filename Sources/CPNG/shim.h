// libpng's simplified API; pkg-config (libpng) supplies the include path.
#include <png.h>
