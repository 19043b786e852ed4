dnl MMT_INSTALL_DIRS: where `make install' puts what runs mmaptrace as a
dnl service (data/): the systemd unit and the bash completion. The logrotate
dnl configuration goes to $sysconfdir/logrotate.d (configure --sysconfdir=/etc).
AC_DEFUN([MMT_INSTALL_DIRS], [
	AC_ARG_WITH([systemdsystemunitdir],
		[AS_HELP_STRING([--with-systemdsystemunitdir=DIR],
			[systemd system unit directory (default: from pkg-config systemd, else
			 /lib/systemd/system); "no": do not install the unit])],
		[], [with_systemdsystemunitdir=auto])
	AS_IF([test "x$with_systemdsystemunitdir" = xauto || test "x$with_systemdsystemunitdir" = xyes],
		[with_systemdsystemunitdir=`$PKG_CONFIG --variable=systemdsystemunitdir systemd 2>/dev/null`
		 AS_IF([test -z "$with_systemdsystemunitdir"],
			[with_systemdsystemunitdir=/lib/systemd/system])])
	AS_IF([test "x$with_systemdsystemunitdir" != xno],
		[AC_SUBST([systemdsystemunitdir], [$with_systemdsystemunitdir])])
	AM_CONDITIONAL([HAVE_SYSTEMDSYSTEMUNITDIR], [test "x$with_systemdsystemunitdir" != xno])

	AC_ARG_WITH([bashcompletiondir],
		[AS_HELP_STRING([--with-bashcompletiondir=DIR],
			[bash completion directory (default: DATADIR/bash-completion/completions);
			 "no": do not install the completion])],
		[], [with_bashcompletiondir='${datadir}/bash-completion/completions'])
	AS_IF([test "x$with_bashcompletiondir" != xno],
		[AC_SUBST([bashcompletiondir], [$with_bashcompletiondir])])
	AM_CONDITIONAL([HAVE_BASHCOMPLETIONDIR], [test "x$with_bashcompletiondir" != xno])
])
