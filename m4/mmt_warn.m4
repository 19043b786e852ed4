dnl MMT_WARN_CFLAGS: -Wall -Wextra always; -Werror with --enable-werror (CI).
AC_DEFUN([MMT_WARN_CFLAGS], [
	WARN_CFLAGS="-Wall -Wextra -Wshadow -Wformat=2 -Wno-missing-field-initializers"
	AC_ARG_ENABLE([werror],
		[AS_HELP_STRING([--enable-werror], [treat compiler warnings as errors])],
		[], [enable_werror=no])
	AS_IF([test "x$enable_werror" = xyes], [WARN_CFLAGS="$WARN_CFLAGS -Werror"])
	AC_SUBST([WARN_CFLAGS])
])

dnl AX_PTHREAD_SIMPLE: the hashing worker needs pthreads.
AC_DEFUN([AX_PTHREAD_SIMPLE], [
	AC_SEARCH_LIBS([pthread_create], [pthread], [],
		[AC_MSG_ERROR([pthreads not found])])
])
