; Ferry's additions to electron-builder's NSIS installer (per-machine): the privileged helper as a Windows service.
; The service runs the helper bundle with the Node runtime shipped next to it (resources\helper\runtime\node.exe,
; copied there by `main/app/build.ts --helper-runtime`) as LocalSystem, started automatically.
; `--service` makes the helper answer the Service Control Manager itself (StartServiceCtrlDispatcherW through
; koffi, main/helper/win32/serviceControl.ts): node.exe alone does not, and the SCM would kill it after 30 s.
; It serves \\.\pipe\ProtectedPrefix\Administrators\Ferry\helper and keeps its journal and log in LocalSystem's profile.

!define FERRY_SERVICE "FerryHelper"
!define FERRY_HELPER_DIR "$INSTDIR\resources\helper"

!macro ferryServiceCommand VERB
  nsExec::ExecToLog '"$SYSDIR\sc.exe" ${VERB} ${FERRY_SERVICE} binPath= "\"${FERRY_HELPER_DIR}\runtime\node.exe\" \"${FERRY_HELPER_DIR}\ferry-helper.mjs\" --service --log-level info" start= auto obj= LocalSystem DisplayName= "Ferry VPN helper"'
!macroend

; Before anything is replaced: a running helper holds node.exe and its files open.
!macro customInit
  nsExec::Exec '"$SYSDIR\sc.exe" stop ${FERRY_SERVICE}'
  Pop $0
  Sleep 1000
!macroend

!macro customInstall
  !insertmacro ferryServiceCommand "create"
  Pop $0
  ; 1073: the service exists (an upgrade) - point it at this version.
  ${If} $0 == 1073
    !insertmacro ferryServiceCommand "config"
    Pop $0
  ${EndIf}
  ${If} $0 != 0
    DetailPrint "Ferry: the helper service could not be registered (sc.exe exit code $0)."
  ${EndIf}
  nsExec::ExecToLog '"$SYSDIR\sc.exe" description ${FERRY_SERVICE} "Creates the Ferry VPN tunnel adapter and sets its routes and DNS. Nothing else."'
  Pop $0
  ; Restart after a crash (1 s, then 5 s); the failure count resets after a minute.
  nsExec::ExecToLog '"$SYSDIR\sc.exe" failure ${FERRY_SERVICE} reset= 60 actions= restart/1000/restart/5000//'
  Pop $0
  nsExec::ExecToLog '"$SYSDIR\sc.exe" start ${FERRY_SERVICE}'
  Pop $0
!macroend

!macro customUnInstall
  nsExec::ExecToLog '"$SYSDIR\sc.exe" stop ${FERRY_SERVICE}'
  Pop $0
  ; An update runs the old uninstaller first: keep the service, the new installer re-points it.
  ${IfNot} ${isUpdated}
    nsExec::ExecToLog '"$SYSDIR\sc.exe" delete ${FERRY_SERVICE}'
    Pop $0
  ${EndIf}
!macroend
