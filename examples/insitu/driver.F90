! In-situ flagging inside the M1 transport code, Fortran driver (same run as driver.c).
!
!   m1_f N_R T_END FLAG_EVERY OUTDIR
!
! The transport core is the C library of m1.c, called through bind(C) interfaces; the flagger is
! the Fortran module written by
!   nulearn flavor export MODEL --format fortran --name flagger --out flagger.f90
! (module nulearn_flagger_mod). Preprocess with -DFLAGGER_ELN for a model of nu_e / anti-nu_e
! moments only. Writes OUTDIR/state.csv and one line of timings, as the C driver does.
! Preprocessed with -DNULEARN_CLOSURE and linked with the learned closure's module
!   nulearn flavor closure export CLOSURE --format fortran --out DIR   (DIR/nulearn_closure.f90)
! it also calls the closure after every flagging on the cells flagged unstable (stable cells keep
! their moments), writes the asymptotic columns and times the closure, as the C driver does.
program m1_driver
  use, intrinsic :: iso_c_binding, only: c_double, c_int, c_int8_t, c_int64_t
  use nulearn_flagger_mod, only: nulearn_flagger
#ifdef NULEARN_CLOSURE
  use nulearn_closure_mod, only: nulearn_closure
#endif
  implicit none

  interface
    subroutine m1_grid(n_r, r_in, r_out, r_face, r) bind(C, name="m1_grid")
      import :: c_int, c_double
      integer(c_int), value :: n_r
      real(c_double), value :: r_in, r_out
      real(c_double) :: r_face(*), r(*)
    end subroutine m1_grid
    subroutine m1_initial(n_r, r, n, f) bind(C, name="m1_initial")
      import :: c_int, c_double
      integer(c_int), value :: n_r
      real(c_double) :: r(*), n(*), f(*)
    end subroutine m1_initial
    function m1_time_step(n_r, r_face) result(dt) bind(C, name="m1_time_step")
      import :: c_int, c_double
      integer(c_int), value :: n_r
      real(c_double) :: r_face(*)
      real(c_double) :: dt
    end function m1_time_step
    subroutine m1_step(n_r, r_face, r, n, f, dt, work) bind(C, name="m1_step")
      import :: c_int, c_double
      integer(c_int), value :: n_r
      real(c_double) :: r_face(*), r(*), n(*), f(*), work(*)
      real(c_double), value :: dt
    end subroutine m1_step
    subroutine m1_flux_factors(n_r, n, f, ff) bind(C, name="m1_flux_factors")
      import :: c_int, c_double
      integer(c_int), value :: n_r
      real(c_double) :: n(*), f(*), ff(*)
    end subroutine m1_flux_factors
  end interface

  integer, parameter :: n_species = 4
  character(len=4096) :: arg, outdir
  character(len=6), parameter :: species(n_species) = [character(len=6) :: "nue", "nuebar", "nux", "nuxbar"]
  integer(c_int) :: n_r
  integer(c_int64_t) :: n_cells, k, n_steps, flag_every, n_flags, rate, t0, t1, t_step, t_flag
  real(c_double) :: t_end, dt
  real(c_double), allocatable :: r_face(:), r(:), n(:), f(:), ff(:), work(:), p(:)
  integer(c_int8_t), allocatable :: flag(:)
  integer :: i, s, unit
#ifdef NULEARN_CLOSURE
  real(c_double), allocatable :: n_asym(:), ff_asym(:)
  integer(c_int8_t), allocatable :: status(:)
  integer(c_int64_t) :: t_closure = 0
#endif

  if (command_argument_count() /= 4) then
    write (0, '(a)') "usage: m1_f N_R T_END FLAG_EVERY OUTDIR"
    stop 2
  end if
  call get_command_argument(1, arg); read (arg, *) n_r
  call get_command_argument(2, arg); read (arg, *) t_end
  call get_command_argument(3, arg); read (arg, *) flag_every
  call get_command_argument(4, outdir)
  if (n_r < 4 .or. t_end <= 0 .or. flag_every < 1) then
    write (0, '(a)') "m1_f: need N_R >= 4, T_END > 0, FLAG_EVERY >= 1"
    stop 2
  end if
  n_cells = n_r
  allocate (r_face(n_r + 1), r(n_r), n(n_species * n_r), f(n_species * n_r), ff(n_species * n_r))
  allocate (work(6 * n_r + 2), p(n_r), flag(n_r))
#ifdef NULEARN_CLOSURE
  allocate (n_asym(n_species * n_r), ff_asym(n_species * n_r), status(n_r))
#endif
  call m1_grid(n_r, 10.0_c_double, 300.0_c_double, r_face, r)
  call m1_initial(n_r, r, n, f)
  dt = m1_time_step(n_r, r_face)
  n_steps = int(t_end / dt, c_int64_t) + 1
  t_step = 0; t_flag = 0; n_flags = 0
  call system_clock(count_rate=rate)
  do k = 1, n_steps
    call system_clock(t0)
    call m1_step(n_r, r_face, r, n, f, dt, work)
    call system_clock(t1)
    t_step = t_step + (t1 - t0)
    if (mod(k, flag_every) == 0 .or. k == n_steps) then
      call system_clock(t0)
      call m1_flux_factors(n_r, n, f, ff)
#ifdef FLAGGER_ELN
      call nulearn_flagger(n(1:n_r), n(n_r + 1:2 * n_r), ff(1:n_r), ff(n_r + 1:2 * n_r), &
        n_cells, p, flag)
#else
      call nulearn_flagger(n(1:n_r), n(n_r + 1:2 * n_r), n(2 * n_r + 1:3 * n_r), &
        n(3 * n_r + 1:4 * n_r), ff(1:n_r), ff(n_r + 1:2 * n_r), ff(2 * n_r + 1:3 * n_r), &
        ff(3 * n_r + 1:4 * n_r), n_cells, p, flag)
#endif
      call system_clock(t1)
      t_flag = t_flag + (t1 - t0)
#ifdef NULEARN_CLOSURE
      ! asymptotic moments of every cell: the closure where flag == 1, the moments elsewhere
      call system_clock(t0)
      call nulearn_closure(n(1:n_r), n(n_r + 1:2 * n_r), n(2 * n_r + 1:3 * n_r), &
        n(3 * n_r + 1:4 * n_r), ff(1:n_r), ff(n_r + 1:2 * n_r), ff(2 * n_r + 1:3 * n_r), &
        ff(3 * n_r + 1:4 * n_r), n_cells, n_asym(1:n_r), n_asym(n_r + 1:2 * n_r), &
        n_asym(2 * n_r + 1:3 * n_r), n_asym(3 * n_r + 1:4 * n_r), ff_asym(1:n_r), &
        ff_asym(n_r + 1:2 * n_r), ff_asym(2 * n_r + 1:3 * n_r), ff_asym(3 * n_r + 1:4 * n_r), &
        status)
      do s = 0, n_species - 1
        where (flag /= 1_c_int8_t)
          n_asym(s * n_r + 1:(s + 1) * n_r) = n(s * n_r + 1:(s + 1) * n_r)
          ff_asym(s * n_r + 1:(s + 1) * n_r) = ff(s * n_r + 1:(s + 1) * n_r)
        end where
      end do
      call system_clock(t1)
      t_closure = t_closure + (t1 - t0)
#endif
      n_flags = n_flags + 1
    end if
  end do

  open (newunit=unit, file=trim(outdir)//"/state.csv", status="replace", action="write")
  write (unit, '(a)', advance="no") "r"
  do s = 1, n_species
    write (unit, '(2a)', advance="no") ",n_", trim(species(s))
  end do
  do s = 1, n_species
    write (unit, '(2a)', advance="no") ",flux_", trim(species(s))
  end do
  do s = 1, n_species
    write (unit, '(2a)', advance="no") ",F_", trim(species(s))
  end do
  write (unit, '(a)', advance="no") ",p_crossing,flag"
#ifdef NULEARN_CLOSURE
  do s = 1, n_species
    write (unit, '(3a)', advance="no") ",n_", trim(species(s)), "_asymptotic"
  end do
  do s = 1, n_species
    write (unit, '(3a)', advance="no") ",F_", trim(species(s)), "_asymptotic"
  end do
#endif
  write (unit, '(a)') ""
  do i = 1, n_r
    write (unit, '(es25.17e3)', advance="no") r(i)
    do s = 0, n_species - 1
      write (unit, '(a,es25.17e3)', advance="no") ",", n(s * n_r + i)
    end do
    do s = 0, n_species - 1
      write (unit, '(a,es25.17e3)', advance="no") ",", f(s * n_r + i)
    end do
    do s = 0, n_species - 1
      write (unit, '(a,es25.17e3)', advance="no") ",", ff(s * n_r + i)
    end do
    write (unit, '(a,es25.17e3,a,i0)', advance="no") ",", p(i), ",", flag(i)
#ifdef NULEARN_CLOSURE
    do s = 0, n_species - 1
      write (unit, '(a,es25.17e3)', advance="no") ",", n_asym(s * n_r + i)
    end do
    do s = 0, n_species - 1
      write (unit, '(a,es25.17e3)', advance="no") ",", ff_asym(s * n_r + i)
    end do
#endif
    write (unit, '(a)') ""
  end do
  close (unit)
  write (*, '(a,i0,a,i0,a,i0,a,es13.6,a,es13.6,a,es11.4,a,es11.4,a,i0)') &
    "cells ", n_r, " steps ", n_steps, " flag_calls ", n_flags, &
    " step_s ", real(t_step, c_double) / rate, " flag_s ", real(t_flag, c_double) / rate, &
    " step_ns_per_cell ", 1d9 * real(t_step, c_double) / rate / (real(n_steps, c_double) * n_r), &
    " flag_ns_per_cell ", 1d9 * real(t_flag, c_double) / rate / (real(n_flags, c_double) * n_r), &
    " flagged ", count(flag == 1)
#ifdef NULEARN_CLOSURE
  write (*, '(a,es13.6,a,es11.4,a,es11.4)') &
    "closure_s ", real(t_closure, c_double) / rate, &
    " closure_ns_per_cell ", 1d9 * real(t_closure, c_double) / rate / (real(n_flags, c_double) * n_r), &
    " closure_share_of_step ", real(t_closure, c_double) / real(t_step, c_double)
#endif
end program m1_driver
