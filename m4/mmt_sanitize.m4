dnl MMT_SANITIZE: --enable-sanitizers builds with ASan + UBSan (CI runs the suite so too).
AC_DEFUN([MMT_SANITIZE], [
	AC_ARG_ENABLE([sanitizers],
		[AS_HELP_STRING([--enable-sanitizers], [build with AddressSanitizer and UBSan])],
		[], [enable_sanitizers=no])
	SAN_CFLAGS=
	AS_IF([test "x$enable_sanitizers" = xyes],
		[SAN_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"])
	AC_SUBST([SAN_CFLAGS])
	AM_CONDITIONAL([MMT_SANITIZERS], [test "x$enable_sanitizers" = xyes])
])
