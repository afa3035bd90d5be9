# The course's Jupyter settings, shared by `bash scripts/lab.sh` and Binder (binder/start).
# Both add this folder to JUPYTER_CONFIG_PATH for the server they start, so a learner's own
# Jupyter configuration (~/.jupyter) is never edited and still wins where it sets the same option.
#
# Why: Binder gives a learner 2 GB for the server and every kernel.  JupyterLab keeps a
# notebook's kernel alive after its tab is closed, so kernels of finished lessons pile up
# (00 + 01 + 03 left open held 2.3 GB) until the next lesson's kernel is killed.
import os

c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)

# Closing a notebook's tab shuts its kernel down; also no news / update pop-up (a teacher
# projects the screen).  These are JupyterLab defaults, set in lab-settings/overrides.json.
c.LabApp.app_settings_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab-settings")
c.LabApp.news_url = None

# A kernel idle for 20 minutes is shut down, even while its tab is open (a tab left open on a
# finished lesson).  Every notebook re-runs from the top in about a minute (Run > Run All Cells).
c.MappingKernelManager.cull_idle_timeout = 20 * 60
c.MappingKernelManager.cull_interval = 60
c.MappingKernelManager.cull_connected = True
c.MappingKernelManager.cull_busy = False

# nbgrader (the `classroom` extra, for teachers grading the exercises: docs/classroom.md) adds
# Formgrader, Assignment List and Course List panels.  A learner working through the lessons has
# no use for them, so the course's own Lab starts without them; a course's JupyterHub, which does
# not use this folder, keeps them.  (Their browser side: labconfig/page_config.json, beside this file.)
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": False,
}
